"""Owner notifications through a real SMTP server: one per stored submission, never slowing or failing it."""
import logging

import pytest

from tests.forms.conftest import SITE, SlowInbox, settle_mail, wait_for
from tests.smtp import Inbox


def post(app, key, **fields):
    # A browser page's Origin with a publishable key; a backend (no Origin) with a secret one.
    headers = {"Authorization": f"Bearer {key}", **({} if key.startswith("ck_secret_") else {"Origin": SITE})}
    return app.test_client().post("/v1/contacts", json=fields, headers=headers)


def test_the_owner_gets_one_email_with_the_submitted_fields(mail_app, make_key):
    key = make_key("owner@example.com", kind="publishable")
    response = post(mail_app, key, email="Ada@Example.com", name="Ada", message="Hello\nthere", tags=["a", "b"])
    assert response.status_code == 201
    settle_mail(mail_app)
    [mail] = mail_app.inbox.messages
    assert mail["To"] == "owner@example.com"
    assert mail["Subject"] == "New submission from ada@example.com"
    text = Inbox.text_of(mail).replace("\r\n", "\n")
    assert "email: ada@example.com" in text and "name: Ada" in text and "Hello\nthere" in text
    assert 'tags: ["a", "b"]' in text
    assert response.get_json()["id"] in text


def test_submitted_html_is_escaped_in_the_html_part(mail_app, make_key):
    key = make_key(kind="publishable")
    post(mail_app, key, email="a@example.com", message="<script>alert(1)</script>", **{"<b>x</b>": "<i>y</i>"})
    settle_mail(mail_app)
    [mail] = mail_app.inbox.messages
    html = Inbox.html_of(mail)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html and "&lt;i&gt;y&lt;/i&gt;" in html
    assert "<script>alert(1)</script>" in Inbox.text_of(mail)  # the text part is plain text, shown as sent


def test_a_subject_field_names_the_email_on_one_line(mail_app, make_key):
    key = make_key(kind="publishable")
    mail_app.test_client().post("/api/contact-api/", headers={"Origin": SITE}, json={
        "access_key": key, "email": "a@example.com", "message": "Hi", "subject": "Hello\r\nBcc: victim@example.net"})
    settle_mail(mail_app)
    [mail] = mail_app.inbox.messages
    assert mail["Subject"] == "New submission: Hello Bcc: victim@example.net"
    assert mail["Bcc"] is None


def test_each_submission_is_one_email(mail_app, make_key):
    key = make_key(kind="publishable")
    for message in ("one", "two", "three"):
        post(mail_app, key, email="a@example.com", message=message)
    settle_mail(mail_app)
    assert sorted(Inbox.text_of(m).split("message: ")[1].split()[0] for m in mail_app.inbox.messages) == \
        ["one", "three", "two"]


@pytest.mark.parametrize("kind, notify, mails", [
    ("publishable", None, 1),  # on by default for publishable keys
    ("publishable", False, 0),
    ("secret", None, 0),  # off by default for secret keys
    ("secret", True, 1),
])
def test_the_keys_flag_decides(mail_app, make_key, kind, notify, mails):
    key = make_key(kind=kind, **({} if notify is None else {"notify": notify}))
    assert post(mail_app, key, email="a@example.com").status_code == 201
    settle_mail(mail_app)
    assert len(mail_app.inbox.messages) == mails


def test_spam_and_refused_posts_send_nothing(mail_app, make_key):
    key = make_key(kind="publishable", domains=["example.com"])
    assert post(mail_app, key, email="bot@example.com", _gotcha="x").status_code == 201
    assert post(mail_app, key, email="not an address").status_code == 400
    refused = mail_app.test_client().post("/v1/contacts", json={"email": "a@example.com"},
                                          headers={"Authorization": f"Bearer {key}", "Origin": "https://evil.net"})
    assert refused.status_code == 403
    settle_mail(mail_app)
    assert mail_app.inbox.messages == []


def test_a_slow_mail_server_does_not_slow_the_submission(slow_mail_app, make_key, stored):
    key = make_key(kind="publishable")
    response = post(slow_mail_app, key, email="a@example.com", message="Hi")
    assert response.status_code == 201
    assert slow_mail_app.inbox.messages == []  # answered while the server still holds the mail
    assert stored() == [("a@example.com", {"message": "Hi"})]
    wait_for(lambda: len(slow_mail_app.inbox.messages) == 1)


def test_a_dead_mail_server_fails_nothing_and_is_logged(down_mail_app, make_key, stored, caplog):
    caplog.set_level(logging.INFO, logger="contactapi")
    key = make_key("owner@example.com", kind="publishable")
    response = post(down_mail_app, key, email="a@example.com", message="Hi")
    assert response.status_code == 201
    assert stored() == [("a@example.com", {"message": "Hi"})]
    settle_mail(down_mail_app)
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR and "owner@example.com" in r.getMessage()]
    assert len(failures) == 1 and "Could not send mail" in failures[0].getMessage()


def test_a_full_mail_queue_drops_the_notification_not_the_submission(start_smtp, app_mailing_to, make_key,
                                                                      stored, caplog):
    inbox = SlowInbox(delay=1)
    app = app_mailing_to(start_smtp(inbox), MAIL_QUEUE_LIMIT=1)
    key = make_key(kind="publishable")
    caplog.set_level(logging.INFO, logger="contactapi")
    assert post(app, key, email="a@example.com", message="first").status_code == 201
    assert post(app, key, email="b@example.com", message="second").status_code == 201
    assert [email for email, _fields in stored()] == ["a@example.com", "b@example.com"]
    dropped = [r for r in caplog.records if "Mail queue full" in r.getMessage()]
    assert len(dropped) == 1 and "owner@example.com" in dropped[0].getMessage()
    settle_mail(app)
    assert len(inbox.messages) == 1 and "first" in Inbox.text_of(inbox.messages[0])


def test_a_replayed_idempotent_post_sends_no_second_email(mail_app, make_key):
    headers = {"Authorization": f"Bearer {make_key(kind='publishable')}", "Origin": SITE, "Idempotency-Key": "once"}
    client = mail_app.test_client()
    for _ in range(3):
        assert client.post("/v1/contacts", json={"email": "a@example.com"}, headers=headers).status_code == 201
    settle_mail(mail_app)
    assert len(mail_app.inbox.messages) == 1
