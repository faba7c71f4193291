"""What the outbox stores of a mail: its envelope outright and what renders its bodies, rendered by the worker
that sends it (no request then); mails queued rendered by an earlier release are sent as they were."""
import json
import logging

from contactapi import accounts, deliveries, notifications, sealed
from contactapi.database import write_transaction
from tests.deliveries.helpers import deliveries_of
from tests.smtp import Inbox, settle

OLD_MESSAGE = {  # a payload as the previous release queued it: rendered when queued
    "to": "ada@example.com", "from_name": "Ada's site", "subject": "New submission from bob@example.com",
    "headers": {"Reply-To": "bob@example.com", "List-Unsubscribe": "<https://old.example/unsubscribe/t>"},
    "text": "A new contact sent a submission.\n\nmessage: Hi – ünïcode\n",
    "html": "<!doctype html>\n<p>A new contact sent <b>a submission</b>.</p>\n",
}


def _queue_as_stored(app, payload, topic="notification"):
    """A pending mail delivery written with exactly this payload, as an earlier release's outbox row."""
    with app.app_context():
        account = accounts.get_or_create_account("owner@example.com")
        with write_transaction() as session:
            deliveries.queue(session, deliveries.Outgoing("mail", topic, payload, account_id=account.id,
                                                          email=payload["to"]))


def _bodies(message):
    """(text, html) as received, with the wire's CRLF line ends back to \n."""
    return tuple(body.replace("\r\n", "\n") for body in (Inbox.text_of(message), Inbox.html_of(message)))


def _assert_received_as(message, stored):
    assert message["To"] == stored["to"] and message["Subject"] == stored["subject"]
    assert message["From"].startswith(f"{stored['from_name']} via ")
    assert {name: message[name] for name in stored["headers"]} == stored["headers"]
    assert _bodies(message) == (stored["text"], stored["html"])


def test_a_mail_queued_rendered_by_the_previous_release_is_sent_as_it_was(mail_app):
    _queue_as_stored(mail_app, OLD_MESSAGE)
    [message] = mail_app.inbox.messages
    _assert_received_as(message, OLD_MESSAGE)
    assert [d["status"] for d in deliveries_of(mail_app)] == ["delivered"]


def test_a_sealed_mail_queued_rendered_by_the_previous_release_is_sent_as_it_was(mail_app):
    secret = {**OLD_MESSAGE, "text": "Sign in: https://x.example/link/tok\n", "subject": "Sign in to contactapi"}
    with mail_app.app_context():
        payload = {"to": secret["to"], "sealed": sealed.seal(json.dumps(secret))}
    _queue_as_stored(mail_app, payload, topic="sign_in")
    [message] = mail_app.inbox.messages
    _assert_received_as(message, secret)


def test_a_notification_is_stored_unrendered_and_rendered_when_sent(mail_app, make_key):
    key = make_key("owner@example.com", kind="secret", notify=True)
    client = mail_app.test_client()
    answer = client.post("/v1/contacts", json={"email": "ada@example.com", "message": "<b>Hi</b>", "n": 3},
                         headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 201
    contact_id = answer.get_json()["id"]
    [stored] = deliveries_of(mail_app)
    payload = stored["payload"]
    assert payload["to"] == "owner@example.com" and payload["subject"] == "New submission from ada@example.com"
    assert payload["template"] == "notification" and "text" not in payload and "html" not in payload
    assert payload["context"]["contact"] == {"id": contact_id, "email": "ada@example.com"}

    [message] = mail_app.inbox.messages  # rendered by the worker, in an app context without a request
    with mail_app.app_context():
        unsubscribe = notifications.unsubscribe_url(payload["context"]["key_id"])
    assert message["Subject"] == "New submission from ada@example.com" and message["Reply-To"] == "ada@example.com"
    assert message["List-Unsubscribe"] == f"<{unsubscribe}>"
    text, html = _bodies(message)
    assert "message: <b>Hi</b>\nn: 3\n" in text and f"Contact id: {contact_id}\n" in text and unsubscribe in text
    assert "&lt;b&gt;Hi&lt;/b&gt;" in html and "<b>Hi</b>" not in html and f'href="{unsubscribe}"' in html


def test_list_unsubscribe_goes_out_as_a_uri_on_one_line(mail_app, make_key):
    """Mail clients offer one-click unsubscribe only for a <URI> they can read as sent: not encoded-words."""
    key = make_key("owner@example.com", kind="secret", notify=True)
    answer = mail_app.test_client().post("/v1/contacts", json={"email": "ada@example.com"},
                                         headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 201
    [stored] = deliveries_of(mail_app)
    with mail_app.app_context():
        unsubscribe = notifications.unsubscribe_url(stored["payload"]["context"]["key_id"])
    settle(mail_app)
    [raw] = mail_app.inbox.raw
    assert len(unsubscribe) > 78  # long enough that folding would have split it
    assert f"\r\nList-Unsubscribe: <{unsubscribe}>\r\n".encode() in raw
    assert b"\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" in raw


ENCODED_CRLF = "=?utf-8?q?Invoice=0D=0AFrom:_PayPal_<security@paypal.example>=0D=0AContent-Type:_text/html?="


def _head(raw):
    return raw.split(b"\r\n\r\n", 1)[0].decode()


def test_an_encoded_word_sent_by_a_visitor_stays_text_in_every_header(mail_app, make_key):
    """A visitor's subject or name holding an RFC 2047 encoded-word of CR/LF adds no header to the owner's mail."""
    key = make_key("owner@example.com", kind="publishable")
    client = mail_app.test_client()
    assert client.post("/v1/contacts", json={"access_key": key, "email": "v@example.com", "subject": ENCODED_CRLF},
                       headers={"Accept": "application/json"}).status_code == 201
    assert client.post("/submit", json={"access_key": key, "email": "w@example.com", "from_name": ENCODED_CRLF},
                       headers={"Accept": "application/json"}).status_code == 200
    settle(mail_app)
    assert len(mail_app.inbox.raw) == 2 and not deliveries_of(mail_app, status="pending")
    for raw in mail_app.inbox.raw:
        lines = _head(raw).split("\r\n")
        assert [line.split(":")[0] for line in lines if line.startswith(("From:", "Content-Type:"))] == [
            "From", "Content-Type"], lines  # ours only: no second From, no Content-Type before the real one
    assert "Invoice" in mail_app.inbox.messages[0]["Subject"] and "\n" not in mail_app.inbox.messages[0]["Subject"]


def test_a_sealed_mail_shows_only_its_address_and_subject(down_mail_app, caplog):
    client = down_mail_app.test_client()
    assert client.post("/", json={"email": "new@example.com", "requestType": "generateKey"}).status_code == 200
    [stored] = deliveries_of(down_mail_app)
    assert set(stored["payload"]) == {"to", "subject", "sealed"} and "/link/" not in json.dumps(stored["payload"])
    assert stored["payload"]["subject"] == "Create your contactapi key"
    with caplog.at_level(logging.WARNING, logger="contactapi"):
        settle(down_mail_app)
    assert any("mail to new@example.com (Create your contactapi key)" in r.getMessage() for r in caplog.records)
