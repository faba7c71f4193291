"""Autoresponses through the real SMTP capture: rendered in the sandbox, unsubscribable in one click, and
held by every abuse limit without ever refusing the submission."""
import logging

import pytest

from contactapi import keys
from contactapi.autoresponders import settings
from contactapi.autoresponders.models import Autoresponder, Autoresponse
from contactapi.extensions import db
from contactapi.models import Contact
from tests.autoresponders.conftest import mail_to, require_challenge, submit
from tests.keyring.helpers import post_form, table_count
from tests.smtp import Inbox


def test_the_submitter_gets_the_rendered_autoresponse(ar_app, make_responder):
    responder = make_responder()
    response = submit(ar_app, responder.raw, email="Ada@Example.com", name="Ada <b>L</b>", message="Hi & bye")
    assert response.status_code == 201
    [mail] = mail_to(ar_app, "ada@example.com")
    assert mail["Subject"] == "Thanks Ada <b>L</b>"
    assert mail["Reply-To"] == "owner@example.com" and mail["Auto-Submitted"] == "auto-replied"
    assert "Hello Ada <b>L</b>, we got: Hi & bye" in Inbox.text_of(mail)
    html = Inbox.html_of(mail)
    assert "Hello Ada &lt;b&gt;L&lt;/b&gt;, we got: Hi &amp; bye" in html and "<b>L</b>" not in html
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail["List-Unsubscribe"].startswith("<http://localhost/autoresponses/stop/")
    assert table_count(ar_app, Contact, email="ada@example.com") == 1


def test_long_values_and_links_are_not_inserted(ar_app, make_responder):
    responder = make_responder(body="[{{ name }}] [{{ message }}] [{{ site }}]")
    submit(ar_app, responder.raw, email="a@example.com", name="Buy at https://spam.example/x now www.spam.example",
           message="x" * 101, site="spam-site.com/offer")
    [mail] = mail_to(ar_app, "a@example.com")
    text = Inbox.text_of(mail)
    assert "[Buy at now] [] []" in text and "spam" not in text


def test_a_sandbox_escape_in_a_saved_template_is_refused_by_the_form(ar_app, make_key, owner_client):
    raw = make_key("owner@example.com", kind="publishable")
    with ar_app.app_context():
        key_id = keys.authenticate(raw).key_id
    for body in ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "{% for i in range(9) %}x{% endfor %}",
                 "{{ 'a' * 100000000 }}", "{{ unclosed"):
        answer = post_form(owner_client, f"/dashboard/keys/{key_id}", f"/dashboard/keys/{key_id}/autoresponder",
                           enabled="y", subject="Hi", body=body)
        assert answer.status_code == 400 and 'class="error"' in answer.get_data(as_text=True), body
    assert table_count(ar_app, Autoresponder) == 0


def test_a_submitted_template_is_inserted_as_text_never_run(ar_app, make_responder):
    responder = make_responder(subject="Hi", body="Got: {{ message }}")
    submit(ar_app, responder.raw, email="a@example.com", message="{{ ''.__class__ }} {% if 1 %}x{% endif %}")
    [mail] = mail_to(ar_app, "a@example.com")
    assert "Got: {{ ''.__class__ }} {% if 1 %}x{% endif %}" in Inbox.text_of(mail)


def test_an_attribute_escape_at_send_time_renders_nothing_and_the_contact_is_stored(ar_app, make_responder):
    # Reading a private attribute is undefined in the sandbox: the autoresponse goes, without it.
    responder = make_responder(subject="Hi", body="[{{ name.__class__ }}] {{ name }}")
    assert submit(ar_app, responder.raw, email="a@example.com", name="Ada").status_code == 201
    [mail] = mail_to(ar_app, "a@example.com")
    assert "[] Ada" in Inbox.text_of(mail) and "str" not in Inbox.text_of(mail)


def test_one_autoresponse_per_address_per_day(ar_app, make_responder):
    responder = make_responder()
    for message in ("one", "two"):
        assert submit(ar_app, responder.raw, email="a@example.com", message=message).status_code == 201
    assert len(mail_to(ar_app, "a@example.com")) == 1
    assert table_count(ar_app, Contact) == 1


def test_ten_per_client_ip_per_hour(ar_app, make_responder, caplog):
    responder = make_responder()
    with caplog.at_level(logging.INFO, logger="contactapi.autoresponders.sending"):
        for n in range(11):
            assert submit(ar_app, responder.raw, email=f"p{n}@example.com").status_code == 201
    assert len(ar_app.inbox.messages) == 10 and not mail_to(ar_app, "p10@example.com")
    assert "AUTORESPONDER_IP_HOURLY_LIMIT" in caplog.text
    assert submit(ar_app, responder.raw, ip="198.51.100.1", email="other@example.com").status_code == 201
    assert len(mail_to(ar_app, "other@example.com")) == 1
    assert table_count(ar_app, Contact) == 12


def test_the_account_daily_limit(ar_app, make_responder):
    ar_app.config["AUTORESPONDER_DAILY_LIMIT"] = 2
    responder = make_responder()
    for n in range(3):
        assert submit(ar_app, responder.raw, ip=f"198.51.100.{n}", email=f"p{n}@example.com").status_code == 201
    assert len(ar_app.inbox.messages) == 2 and table_count(ar_app, Contact) == 3


def test_the_instance_daily_limit_counts_every_account(ar_app, make_key, make_responder, owner_client):
    ar_app.config["AUTORESPONDER_INSTANCE_DAILY_LIMIT"] = 2
    first = make_responder()
    submit(ar_app, first.raw, ip="198.51.100.1", email="p1@example.com")
    submit(ar_app, first.raw, ip="198.51.100.2", email="p2@example.com")
    # Another account's key: its own budget is untouched, the instance's is spent.
    raw = make_key("other-owner@example.com", kind="publishable", notify=False)
    with ar_app.app_context():
        key = keys.key_of(keys.authenticate(raw).account_id, keys.authenticate(raw).key_id)
        settings.save(key, True, "Hi", "Hello", False)
        key_id = key.id
        db.session.remove()
    require_challenge(ar_app, key_id)
    assert submit(ar_app, raw, ip="198.51.100.3", email="p3@example.com").status_code == 201
    assert len(ar_app.inbox.messages) == 2 and not mail_to(ar_app, "p3@example.com")
    assert table_count(ar_app, Contact, email="p3@example.com") == 1
    assert table_count(ar_app, Autoresponse) == 2


def test_autoresponders_off_on_the_instance_send_nothing(ar_app, make_responder):
    responder = make_responder()
    ar_app.config["AUTORESPONDERS"] = False
    assert submit(ar_app, responder.raw, email="a@example.com").status_code == 201
    assert len(ar_app.inbox.messages) == 0 and table_count(ar_app, Contact) == 1


def test_a_key_without_a_challenge_sends_nothing_and_its_page_says_why(ar_app, make_responder, owner_client, caplog):
    responder = make_responder(challenge=False)
    with caplog.at_level(logging.INFO, logger="contactapi.autoresponders.sending"):
        assert submit(ar_app, responder.raw, email="a@example.com").status_code == 201
    assert len(ar_app.inbox.messages) == 0 and "requires no challenge" in caplog.text
    page = owner_client.get(f"/dashboard/keys/{responder.key_id}").get_data(as_text=True)
    assert 'id="autoresponder-idle"' in page and "requires no challenge" in page
    ar_app.config["AUTORESPONDERS"] = False
    page = owner_client.get(f"/dashboard/keys/{responder.key_id}").get_data(as_text=True)
    assert "AUTORESPONDERS=on" in page


def test_a_disabled_autoresponder_sends_nothing(ar_app, make_responder):
    responder = make_responder(enabled=False)
    submit(ar_app, responder.raw, email="a@example.com")
    assert len(ar_app.inbox.messages) == 0


def test_one_click_unsubscribe_suppresses_the_address_for_the_account(ar_app, make_responder):
    responder = make_responder()
    submit(ar_app, responder.raw, email="a@example.com")
    [mail] = mail_to(ar_app, "a@example.com")
    stop = mail["List-Unsubscribe"].strip("<>").removeprefix("http://localhost")
    client = ar_app.test_client()
    page = client.get(stop)
    assert page.status_code == 200 and "<form method=\"post\">" in page.get_data(as_text=True)
    # The mail client's one-click POST (RFC 8058): no cookie, no CSRF token.
    done = client.post(stop, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and 'id="stopped"' in done.get_data(as_text=True)
    assert client.post(stop).status_code == 200  # pressed twice: still done, no error
    ar_app.config["AUTORESPONDER_DAILY_LIMIT"] = 1000
    with ar_app.app_context():  # a day later, as far as the per-address limit knows
        db.session.query(Autoresponse).delete()
        db.session.commit()
    second = make_responder()  # another key of the same account: suppressed there too
    assert submit(ar_app, second.raw, email="a@example.com").status_code == 201
    assert len(mail_to(ar_app, "a@example.com")) == 1
    assert submit(ar_app, second.raw, email="b@example.com").status_code == 201
    assert len(mail_to(ar_app, "b@example.com")) == 1
    assert ar_app.test_client().post("/autoresponses/stop/forged").status_code == 404


def test_an_erased_person_gets_no_autoresponse(ar_app, make_responder, make_key):
    responder = make_responder()
    secret = make_key("owner@example.com")
    client = ar_app.test_client()
    erased = client.delete("/v1/people/a@example.com", headers={"Authorization": f"Bearer {secret}"})
    assert erased.status_code == 200, erased.get_data(as_text=True)
    submit(ar_app, responder.raw, email="a@example.com")
    assert len(ar_app.inbox.messages) == 0


def test_one_mailbox_in_many_spellings_is_one_person_for_the_limit_the_stop_link_and_erasure(ar_app, make_responder,
                                                                                            make_key):
    responder = make_responder()
    spellings = ["victim@gmail.com", "V.ictim@gmail.com", "victim+1@gmail.com", "VICTIM@googlemail.com"]
    stored = ["victim@gmail.com", "v.ictim@gmail.com", "victim+1@gmail.com", "victim@googlemail.com"]
    for n, address in enumerate(spellings):  # from four clients: only the per-address limit applies
        assert submit(ar_app, responder.raw, ip=f"198.51.100.{n + 1}", email=address).status_code == 201

    def mails():
        return [mail for address in stored for mail in mail_to(ar_app, address)]

    [mail] = mails()  # one a day for the mailbox, however it is spelt
    stop = mail["List-Unsubscribe"].strip("<>").removeprefix("http://localhost")
    assert ar_app.test_client().post(stop).status_code == 200
    with ar_app.app_context():  # a day later, as far as the per-address limit knows
        db.session.query(Autoresponse).delete()
        db.session.commit()
    for n, address in enumerate(spellings):
        submit(ar_app, responder.raw, ip=f"198.51.100.{n + 11}", email=address)
    assert len(mails()) == 1  # stopped in every spelling
    secret = make_key("owner@example.com")
    assert ar_app.test_client().delete("/v1/people/ann@example.com",
                                       headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    submit(ar_app, responder.raw, email="ann+news@example.com")
    submit(ar_app, responder.raw, ip="198.51.100.99", email="other@example.com")
    assert mail_to(ar_app, "ann+news@example.com") == [] and len(mail_to(ar_app, "other@example.com")) == 1


def test_spam_gets_no_autoresponse(ar_app, make_responder):
    responder = make_responder()
    assert submit(ar_app, responder.raw, email="a@example.com", _gotcha="bot").status_code == 201
    assert len(ar_app.inbox.messages) == 0 and table_count(ar_app, Autoresponse) == 0


def test_secret_key_posts_are_never_answered(ar_app, make_responder, make_key):
    make_responder()
    secret = make_key("owner@example.com")
    created = ar_app.test_client().post("/v1/contacts", json={"email": "a@example.com", "name": "Ada"},
                                        headers={"Authorization": f"Bearer {secret}"})
    assert created.status_code == 201 and created.get_json()["confirmed_at"] is None
    assert len(ar_app.inbox.messages) == 0 and table_count(ar_app, Autoresponse) == 0


@pytest.mark.parametrize("field", ["confirmed_at", "created_at"])
def test_confirmed_at_is_read_only(ar_app, make_responder, make_key, field):
    responder = make_responder()
    refused = submit(ar_app, responder.raw, email="a@example.com", **{field: "2026-01-01T00:00:00Z"})
    assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "read_only_field"
    secret = make_key("owner@example.com")
    headers = {"Authorization": f"Bearer {secret}"}
    client = ar_app.test_client()
    assert client.post("/v1/contacts", json={"email": "b@example.com", field: "x"}, headers=headers).status_code == 400
    made = client.post("/v1/contacts", json={"email": "b@example.com"}, headers=headers).get_json()
    patched = client.patch(f"/v1/contacts/{made['id']}", json={field: "x"}, headers=headers)
    assert patched.status_code == 400 and patched.get_json()["error"]["code"] == "read_only_field"
    assert table_count(ar_app, Contact, email="a@example.com") == 0
    assert len(ar_app.inbox.messages) == 0
