"""Emailed links: GET shows and changes nothing, the button creates the key once, used and expired links say so."""
import html
import re
import time

import pytest
from itsdangerous.timed import TimestampSigner

from contactapi import magic_links
from contactapi.extensions import db
from contactapi.models import Account, ApiKey, MagicLink
from tests.keyring.helpers import click, csrf_from, keys_of, link_in, table_count


def request_link(app, email="ada@example.com", **extra):
    response = app.test_client().post("/", json={"email": email, "requestType": "generateKey", **extra})
    assert response.status_code == 200
    return link_in(app.inbox, email)


def shown_key(response):
    match = re.search(r'<pre id="new-key"[^>]*><code>([^<]+)</code>', response.get_data(as_text=True))
    assert match, "the new key is not on the page"
    return match.group(1)


def test_opening_the_link_changes_nothing(mail_app):
    link = request_link(mail_app)
    client = mail_app.test_client()
    for _ in range(3):  # a mail scanner, a preview, the person
        page = client.get(link)
        assert page.status_code == 200
        assert "Create my key" in page.get_data(as_text=True) and "ck_" not in page.get_data(as_text=True)
    assert table_count(mail_app, Account) == 0 and table_count(mail_app, ApiKey) == 0
    with mail_app.app_context():
        assert db.session.scalars(db.select(MagicLink)).one().used_at is None
        db.session.remove()


def test_the_button_creates_the_account_and_a_publishable_key_with_its_snippet(mail_app, client):
    link = request_link(mail_app, domains=["example.com"])
    response = click(client, link)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    raw = shown_key(response)
    assert raw.startswith("ck_pub_")
    page = html.unescape(response.get_data(as_text=True))
    assert '<form action="http://localhost/v1/contacts" method="POST">' in page
    assert f'<input type="hidden" name="access_key" value="{raw}">' in page
    assert 'name="email"' in page and 'name="message"' in page and 'name="_gotcha"' in page
    assert '<!-- <input type="hidden" name="_next"' in page
    [(key_id, kind, status, domains, notify, _name)] = keys_of(mail_app, "ada@example.com")
    assert (kind, status, domains, notify) == ("publishable", "active", ["example.com"], True)
    # The snippet's form really works from the locked domain.
    posted = client.post("/v1/contacts", data={"access_key": raw, "email": "visitor@example.net", "message": "Hi"},
                         headers={"Origin": "https://www.example.com", "Accept": "application/json"})
    assert posted.status_code == 201


def test_a_secret_key_is_shown_once_and_never_stored(mail_app, client):
    link = request_link(mail_app, kind="secret")
    raw = shown_key(click(client, link))
    assert raw.startswith("ck_secret_")
    assert client.get("/v1/contacts", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    with mail_app.app_context():
        key = db.session.scalars(db.select(ApiKey)).one()
        assert key.public_value is None and raw not in repr(vars(key))
        db.session.remove()
    again = client.post(link, data={"csrf_token": csrf_from(client.get("/"))})
    assert raw not in again.get_data(as_text=True)


def test_a_link_works_once(mail_app, client):
    link = request_link(mail_app)
    token = csrf_from(client.get(link))
    assert client.post(link, data={"csrf_token": token}).status_code == 200
    for response in (client.post(link, data={"csrf_token": token}), client.get(link)):
        assert response.status_code == 410
        text = response.get_data(as_text=True)
        assert "already used" in text and 'href="/"' in text and "ck_" not in text
    assert table_count(mail_app, ApiKey) == 1


def test_an_expired_link_says_so_and_creates_nothing(mail_app, client, monkeypatch):
    link = request_link(mail_app)
    token = csrf_from(client.get(link))
    later = int(time.time()) + mail_app.config["MAGIC_LINK_MAX_AGE"] + 1
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: later)
    for response in (client.get(link), client.post(link, data={"csrf_token": token})):
        assert response.status_code == 410
        text = response.get_data(as_text=True)
        assert "expired" in text and "30 minutes" in text and "Ask for a new key link" in text
    assert table_count(mail_app, ApiKey) == 0 and table_count(mail_app, Account) == 0


@pytest.mark.parametrize("path", ["/link/nonsense", "/link/" + "A" * 80, "/link/a.b.c"])
def test_an_invalid_link_gets_a_clear_404(client, path):
    response = client.get(path)
    assert response.status_code == 404 and "not valid" in response.get_data(as_text=True)
    assert client.post(path, data={"csrf_token": csrf_from(client.get("/"))}).status_code == 404


def test_the_button_without_csrf_changes_nothing(mail_app, client):
    link = request_link(mail_app)
    client.get(link)
    for data in ({}, {"csrf_token": "forged"}):
        assert client.post(link, data=data).status_code == 400
    assert table_count(mail_app, ApiKey) == 0
    assert click(client, link).status_code == 200  # the link still works


def test_at_the_limit_the_button_refuses_and_leaves_the_link_usable(mail_app, client, make_key):
    link = request_link(mail_app, email="owner@example.com")  # made while the account has room
    for _ in range(10):
        make_key("owner@example.com", "secret")
    response = click(client, link)
    assert response.status_code == 409
    assert "You have reached the maximum of 10 active keys." in response.get_data(as_text=True)
    assert len(keys_of(mail_app, "owner@example.com")) == 10
    with mail_app.app_context():
        assert db.session.scalars(db.select(MagicLink)).one().used_at is None
        db.session.remove()


def test_a_sign_in_link_signs_in_once(app, client):
    with app.test_request_context():
        token = magic_links.make("ada@example.com", "sign_in")
        db.session.remove()
    page = client.get(f"/link/{token}")
    assert "Sign in" in page.get_data(as_text=True)
    assert client.get("/dashboard/keys").status_code == 302  # looking is not signing in
    response = click(client, f"/link/{token}")
    assert response.status_code == 303 and response.headers["Location"] == "/dashboard"
    assert "ada@example.com" in client.get("/dashboard/keys").get_data(as_text=True)
    assert table_count(app, Account, email="ada@example.com") == 1
    other = app.test_client()
    assert other.post(f"/link/{token}", data={"csrf_token": csrf_from(other.get("/"))}).status_code == 410
