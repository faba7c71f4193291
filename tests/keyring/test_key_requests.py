"""POST / (JSON and the HTML form): the same answer for every address, the difference only in the email."""
import logging
import time

import pytest
import requests

from contactapi.models import Account, ApiKey, MagicLink
from tests.smtp import settle
from tests.keyring.helpers import LINK, csrf_from, keys_of, link_in, table_count

LIMIT_MESSAGE = "You have reached the maximum of 10 active keys."


def ask(client, email, request_type="generateKey", **extra):
    return client.post("/", json={"email": email, "requestType": request_type, **extra})


@pytest.mark.parametrize("request_type", ["generateKey", "getKeys"])
def test_the_answer_is_the_same_for_new_existing_and_at_limit_addresses(mail_app, make_key, request_type):
    make_key("existing@example.com", "publishable")
    for _ in range(10):
        make_key("full@example.com", "secret")
    client = mail_app.test_client()
    answers = {}
    for email in ("new@example.com", "existing@example.com", "full@example.com"):
        response = ask(client, email, request_type)
        assert response.status_code == 200
        answers[email] = (response.get_json(), sorted(response.headers.keys()))
    bodies = [(body | {"message": body["message"].replace(email, "E")}, headers)
              for email, (body, headers) in answers.items()]
    assert bodies[0] == bodies[1] == bodies[2]
    body = answers["new@example.com"][0]
    assert set(body) == {"success", "message"} and body["success"] is True
    assert "ck_" not in body["message"]
    # Each address got exactly one email; none of them holds a key.
    for email in answers:
        assert len(mail_app.inbox.to(email)) == 1
    assert table_count(mail_app, Account, email="new@example.com") == 0


def test_generate_key_emails_a_create_link_or_explains_the_limit(mail_app, make_key):
    for _ in range(10):
        make_key("full@example.com", "secret")
    client = mail_app.test_client()
    ask(client, "new@example.com", kind="secret")
    ask(client, "full@example.com")
    inbox = mail_app.inbox
    new_mail, full_mail = inbox.to("new@example.com")[0], inbox.to("full@example.com")[0]
    assert new_mail["Subject"] == "Create your contactapi key"
    assert "secret key" in inbox.text_of(new_mail) and "/link/" in inbox.html_of(new_mail)
    assert LIMIT_MESSAGE in inbox.text_of(full_mail) and LIMIT_MESSAGE in inbox.html_of(full_mail)
    # The limit mail's link signs in (to disable a key); it cannot create an eleventh key.
    page = client.get(link_in(inbox, "full@example.com"))
    assert "Sign in" in page.get_data(as_text=True)
    assert table_count(mail_app, MagicLink, email="full@example.com", purpose="create_key") == 0


def test_get_keys_emails_active_keys_publishable_in_full_secret_masked(mail_app, make_key):
    public = make_key("owner@example.com", "publishable", domains=["example.com"])
    secret = make_key("owner@example.com", "secret")
    retired = make_key("owner@example.com", "publishable")
    with mail_app.app_context():
        from contactapi import keys
        from contactapi.extensions import db
        keys.set_status(db.session.scalars(db.select(ApiKey).filter_by(public_value=retired)).one(), "disabled")
        db.session.remove()
    client = mail_app.test_client()
    assert ask(client, "Owner@Example.com", "getKeys").status_code == 200
    message = mail_app.inbox.to("owner@example.com")[0]
    for body in (mail_app.inbox.text_of(message), mail_app.inbox.html_of(message)):
        assert public in body and "example.com" in body
        assert secret not in body and f"ck_secret_…{secret[-4:]}" in body
        assert retired not in body
    response = client.get(link_in(mail_app.inbox, "owner@example.com"))
    assert response.status_code == 200 and "Sign in" in response.get_data(as_text=True)


def test_get_keys_for_an_unknown_address_sends_a_sign_in_link_and_no_keys(mail_app):
    ask(mail_app.test_client(), "nobody@example.com", "getKeys")
    text = mail_app.inbox.text_of(mail_app.inbox.to("nobody@example.com")[0])
    assert "no active contactapi keys" in text and "ck_" not in text and LINK.search(text)


@pytest.mark.parametrize("body, field", [
    ({"email": "not-an-address"}, "email"),
    ({"requestType": "generateKey"}, "email"),
    ({"email": 42}, "email"),
    ({"email": "a@example.com", "requestType": "deleteEverything"}, "requestType"),
    ({"email": "a@example.com", "kind": "root"}, "kind"),
    ({"email": "a@example.com", "domains": "example.com"}, "domains"),
    ({"email": "a@example.com", "domains": [1, 2]}, "domains"),
    ({"email": "a@example.com", "domains": ["exa mple"]}, "domains"),
    ({"email": "a@example.com", "kind": "secret", "domains": ["example.com"]}, "domains"),
])
def test_bad_json_fields_get_400_with_errors_and_no_mail(mail_app, body, field):
    response = mail_app.test_client().post("/", json=body)
    assert response.status_code == 400
    answer = response.get_json()
    assert answer["success"] is False and field in answer["errors"] and answer["message"]
    assert mail_app.inbox.messages == [] and table_count(mail_app, MagicLink) == 0


@pytest.mark.parametrize("data", [b"{not json", b"[1, 2]", b'"text"', b"\xff\xfe", b"[" * 5000 + b"]" * 5000])
def test_unreadable_json_gets_400(client, data):
    response = client.post("/", data=data, content_type="application/json")
    assert response.status_code == 400 and response.get_json()["success"] is False


def test_other_media_types_get_415(client):
    response = client.post("/", data="email=a@example.com", content_type="text/plain")
    assert response.status_code == 415 and response.get_json()["success"] is False


def test_domains_are_normalised_into_the_link(mail_app):
    ask(mail_app.test_client(), "ada@example.com", domains=["https://WWW.Example.com:8443/x", "example.org"])
    from contactapi.extensions import db
    with mail_app.app_context():
        link = db.session.scalars(db.select(MagicLink)).one()
        assert link.payload == {"kind": "publishable", "domains": ["www.example.com", "example.org"]}
        db.session.remove()


def test_json_needs_no_csrf_token_even_with_csrf_on(app, client):
    assert app.config["WTF_CSRF_ENABLED"] is True
    assert ask(client, "ada@example.com").status_code == 200


def test_the_html_form_without_a_csrf_token_is_refused_and_sends_nothing(mail_app):
    client = mail_app.test_client()
    response = client.post("/", data={"email": "ada@example.com", "request_type": "generateKey",
                                      "kind": "publishable"})
    assert response.status_code == 400 and "CSRF" in response.get_data(as_text=True)
    response = client.post("/", data={"email": "ada@example.com", "csrf_token": "forged"})
    assert response.status_code == 400
    assert mail_app.inbox.messages == [] and table_count(mail_app, MagicLink) == 0


def test_the_html_form_sends_the_link_and_says_so(mail_app):
    client = mail_app.test_client()
    page = client.get("/")
    assert page.status_code == 200 and 'name="email"' in page.get_data(as_text=True)
    response = client.post("/", data={"csrf_token": csrf_from(page), "email": " Ada@Example.com ",
                                      "request_type": "generateKey", "kind": "secret", "domains": ""})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Check your inbox" in html and "ada@example.com" in html and "ck_" not in html
    assert len(mail_app.inbox.to("ada@example.com")) == 1


def test_the_html_form_shows_errors_and_keeps_what_was_typed(mail_app):
    client = mail_app.test_client()
    page = client.get("/")
    response = client.post("/", data={"csrf_token": csrf_from(page), "email": "<b>nope</b>",
                                      "request_type": "generateKey", "kind": "secret",
                                      "domains": "example.com"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "not a valid email address" in html and "Only publishable keys" in html
    assert "&lt;b&gt;nope&lt;/b&gt;" in html and "<b>nope</b>" not in html
    assert mail_app.inbox.messages == []


def test_without_a_mail_server_the_mail_is_logged(app, client, caplog):
    with caplog.at_level(logging.INFO, logger="contactapi"):
        assert ask(client, "ada@example.com").status_code == 200
        settle(app)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "To: ada@example.com" in logged and LINK.search(logged)


def test_a_key_request_creates_no_account_and_no_key(mail_app):
    ask(mail_app.test_client(), "ada@example.com", kind="secret")
    assert keys_of(mail_app, "ada@example.com") == []
    assert table_count(mail_app, Account) == 0 and table_count(mail_app, ApiKey) == 0


def test_under_gunicorn_without_a_mail_server_the_link_is_in_the_server_log(gunicorn, tmp_path):
    log_path = tmp_path / "gunicorn.log"
    with open(log_path, "w") as output:
        base = gunicorn(workers=1, output=output, MAIL_SERVER="")
        response = requests.post(base + "/", json={"email": "ada@example.com", "requestType": "generateKey"}, timeout=10)
        assert response.status_code == 200
    deadline = time.monotonic() + 5
    while not LINK.search(log_path.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    logged = log_path.read_text()
    assert "To: ada@example.com" in logged and LINK.search(logged)
