"""Owner notifications through a real SMTP server: one per stored submission, never slowing or failing it."""
import logging

import pytest

from contactapi import deliveries
from tests.deliveries.helpers import deliveries_of
from tests.forms.conftest import SITE, SlowInbox, settle_mail, wait_for
from tests.ports import free_port
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


def test_the_submission_is_answered_before_the_mail_goes(start_smtp, app_mailing_to, make_key, stored):
    inbox = SlowInbox(delay=1)
    app = app_mailing_to(start_smtp(inbox), DELIVERY_EMBEDDED_WORKERS=1)  # the background worker sends
    key = make_key(kind="publishable")
    response = post(app, key, email="a@example.com", message="Hi")
    assert response.status_code == 201
    assert stored() == [("a@example.com", {"message": "Hi"})]
    [queued] = deliveries_of(app)
    assert queued["kind"] == "mail" and queued["email"] == "a@example.com"
    wait_for(lambda: len(inbox.messages) == 1 and deliveries_of(app)[0]["status"] == "delivered")
    assert "message: Hi" in Inbox.text_of(inbox.messages[0])


def test_a_dead_mail_server_fails_nothing_is_logged_and_retried(app_mailing_to, start_smtp, make_key, stored,
                                                                caplog):
    caplog.set_level(logging.INFO, logger="contactapi")
    port = free_port()  # nothing listens here yet
    app = app_mailing_to(port, DELIVERY_RETRY_SCHEDULE=[3600])
    key = make_key("owner@example.com", kind="publishable")
    response = post(app, key, email="a@example.com", message="Hi")
    assert response.status_code == 201
    assert stored() == [("a@example.com", {"message": "Hi"})]
    settle_mail(app)
    failures = [r for r in caplog.records if r.levelno >= logging.WARNING and "owner@example.com" in r.getMessage()]
    assert len(failures) == 1 and "retrying" in failures[0].getMessage()
    [waiting] = deliveries_of(app)
    assert waiting["status"] == "pending" and waiting["attempts"] == 1 and waiting["last_error"]
    wait = (waiting["next_attempt_at"] - waiting["created_at"]).total_seconds()
    assert 0.8 * 3600 <= wait <= 1.2 * 3600 + 60  # the schedule's first wait, with jitter
    inbox = Inbox()
    start_smtp(inbox, port=port)  # the mail server comes back…
    with app.app_context():
        assert deliveries.retry_now(waiting["account_id"], waiting["id"])  # …and the hour has passed
    settle_mail(app)
    assert len(inbox.messages) == 1 and "message: Hi" in Inbox.text_of(inbox.messages[0])
    assert deliveries_of(app)[0]["status"] == "delivered" and deliveries_of(app)[0]["attempts"] == 2


def test_a_mail_that_never_goes_is_finally_failed_and_logged(down_mail_app, make_key, caplog):
    caplog.set_level(logging.INFO, logger="contactapi")
    down_mail_app.config["DELIVERY_RETRY_SCHEDULE"] = [0, 0]
    key = make_key("owner@example.com", kind="publishable")
    assert post(down_mail_app, key, email="a@example.com").status_code == 201
    settle_mail(down_mail_app)
    [failed] = deliveries_of(down_mail_app)
    assert failed["status"] == "failed" and failed["attempts"] == 3 and failed["finished_at"]
    final = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(final) == 1 and "giving up" in final[0].getMessage() and "owner@example.com" in final[0].getMessage()


def test_no_mail_is_dropped_however_many_wait(start_smtp, app_mailing_to, make_key):
    inbox = Inbox()
    mail_app = app_mailing_to(start_smtp(inbox), RATELIMIT_PUBLIC_IP="1000/minute")
    mail_app.inbox = inbox
    key = make_key(kind="publishable")
    for number in range(40):
        assert post(mail_app, key, email=f"a{number}@example.com", message=f"m{number}").status_code == 201
    assert len(deliveries_of(mail_app, status="pending")) == 40
    assert len(mail_app.inbox.messages) == 40
    assert {d["status"] for d in deliveries_of(mail_app)} == {"delivered"}


def test_a_30_kb_line_arrives_whole_with_no_line_over_998_octets(mail_app, make_key):
    key = make_key(kind="publishable")
    long_line = "ü" + "x" * 30_000 + "é"
    assert post(mail_app, key, email="a@example.com", message=long_line).status_code == 201
    [mail] = mail_app.inbox.messages  # the real server refuses lines over 1,000 octets (RFC 5321 4.5.3.1.6)
    assert max(len(line) for line in mail_app.inbox.raw[0].splitlines()) <= 998
    assert long_line in Inbox.text_of(mail) and long_line in Inbox.html_of(mail)
    assert [d["status"] for d in deliveries_of(mail_app)] == ["delivered"]


def test_a_message_that_looks_like_a_mime_boundary_arrives_whole(mail_app, make_key):
    key = make_key(kind="publishable")
    message = "before\n--=_00000000000000000000000000000000\n--=_ and =_ and ==_\nafter"
    assert post(mail_app, key, email="a@example.com", message=message).status_code == 201
    [mail] = mail_app.inbox.messages
    assert mail.get_content_type() == "multipart/alternative" and len(mail.get_payload()) == 2
    assert message in Inbox.text_of(mail).replace("\r\n", "\n")
    assert "--=_ and =_ and ==_" in Inbox.html_of(mail)


def test_the_owner_replies_to_the_submitter_and_the_link_goes_to_the_contact(mail_app, make_key):
    key = make_key(kind="publishable")
    contact_id = post(mail_app, key, email="ada@example.com", message="Hi").get_json()["id"]
    [mail] = mail_app.inbox.messages
    assert mail["Reply-To"] == "ada@example.com"
    assert f"http://localhost/dashboard/contacts/{contact_id}" in Inbox.text_of(mail)
    assert f'href="http://localhost/dashboard/contacts/{contact_id}"' in Inbox.html_of(mail)


def test_the_forms_own_subject_reply_to_and_name(mail_app, make_key):
    from contactapi import keys, notifications, storage

    raw_key = make_key(kind="publishable")
    with mail_app.test_request_context():  # what the submit flow passes when a form sends _subject etc.
        principal = keys.authenticate(raw_key)
        storage.upsert(principal.account_id, "ada@example.com", {"message": "Hi"}, principal.key_id,
                       then=notifications.after_submission(principal, {"message": "Hi"}, subject="Quote\r\nBcc: x@y.z",
                                                            reply_to="reply@example.com", from_name="Ada Lovelace"))
    [mail] = mail_app.inbox.messages
    assert mail["Subject"] == "Quote Bcc: x@y.z" and mail["Bcc"] is None
    assert mail["Reply-To"] == "reply@example.com"
    assert mail["From"].startswith("Ada Lovelace via contactapi <")


def test_one_click_unsubscribe_turns_the_keys_notifications_off(mail_app, make_key):
    key = make_key(kind="publishable")
    post(mail_app, key, email="a@example.com")
    [mail] = mail_app.inbox.messages
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = mail["List-Unsubscribe"].strip("<>")
    path = url.removeprefix("http://localhost")
    assert path.startswith("/unsubscribe/") and url in Inbox.text_of(mail)
    client = mail_app.test_client()
    assert client.get(path).status_code == 200  # a scanner following the link changes nothing
    post(mail_app, key, email="b@example.com")
    assert len(mail_app.inbox.messages) == 2
    # What a mail client sends for one-click: a POST with no cookie and no CSRF token.
    response = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    post(mail_app, key, email="c@example.com")
    assert len(mail_app.inbox.messages) == 2
    assert client.post("/unsubscribe/forged-token").status_code == 404


def test_a_replayed_idempotent_post_sends_no_second_email(mail_app, make_key):
    headers = {"Authorization": f"Bearer {make_key(kind='publishable')}", "Origin": SITE, "Idempotency-Key": "once"}
    client = mail_app.test_client()
    for _ in range(3):
        assert client.post("/v1/contacts", json={"email": "a@example.com"}, headers=headers).status_code == 201
    settle_mail(mail_app)
    assert len(mail_app.inbox.messages) == 1
