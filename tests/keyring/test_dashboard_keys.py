"""The keys page of the dashboard: sign in by email, create, disable/enable, delete, domains, notifications."""
import re
import time

import pytest
from itsdangerous import TimestampSigner

from contactapi.models import ApiKey
from tests.keyring.helpers import click, csrf_from, keys_of, link_in, post_form, table_count

LIMIT_MESSAGE = "You have reached the maximum of 10 active keys."


def key_id_of(app, raw):
    from contactapi import keys
    from contactapi.extensions import db
    with app.app_context():
        key_id = db.session.scalars(db.select(ApiKey.id).filter_by(digest=keys.digest(raw))).one()
        db.session.remove()
    return key_id


def key_settings(app):
    """Every stored key and autoresponder setting, as text."""
    from contactapi.extensions import db
    with app.app_context():
        stored = {table: [str(tuple(row)) for row in db.session.execute(db.text(f"SELECT * FROM {table} ORDER BY 1"))]
                  for table in ("api_keys", "autoresponders")}
        db.session.remove()
    return stored


def act(client, key_id, action, **form):
    """Press a button of a key's page."""
    return post_form(client, "/dashboard/keys", f"/dashboard/keys/{key_id}/{action}", **form)


def v1_status(client, raw):
    return client.get("/v1/contacts", headers={"Authorization": f"Bearer {raw}"}).status_code


def test_the_dashboard_needs_a_sign_in(client):
    for path in ("/dashboard", "/dashboard/keys", "/dashboard/contacts", "/dashboard/export/csv",
                 "/dashboard/inbox", "/dashboard/inbox/export/ndjson"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].split("?")[0] == "/signin"


def test_signing_in_through_the_emailed_link(mail_app):
    client = mail_app.test_client()
    response = post_form(client, "/signin", "/signin", email="Ada@Example.com")
    assert response.status_code == 200 and "Check your inbox" in response.get_data(as_text=True)
    response = click(client, link_in(mail_app.inbox, "ada@example.com"))
    assert response.status_code == 303
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = client.get("/dashboard/keys")
    assert page.status_code == 200 and "ada@example.com" in page.get_data(as_text=True)


def test_the_sign_in_request_needs_csrf_and_a_valid_address(mail_app):
    client = mail_app.test_client()
    assert client.post("/signin", data={"email": "ada@example.com"}).status_code == 400
    assert post_form(client, "/signin", "/signin", email="not an address").status_code == 400
    assert mail_app.inbox.messages == []


def test_signing_out_ends_the_session(owner):
    assert owner.get("/dashboard/keys").status_code == 200
    assert owner.post("/signout").status_code == 400  # without CSRF nothing happens
    assert owner.get("/dashboard/keys").status_code == 200
    response = post_form(owner, "/dashboard/keys", "/signout")
    assert response.status_code == 303
    assert owner.get("/dashboard/keys").status_code == 302


def test_creating_a_publishable_key_shows_it_with_the_snippet(owner, app):
    response = post_form(owner, "/dashboard/keys", "/dashboard/keys", kind="publishable", name="Blog",
                         domains="Example.com\nhttps://shop.example.org/")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    raw = re.search(r"ck_pub_[A-Za-z0-9]+", text).group(0)
    assert "/v1/contacts" in text and "_gotcha" in text
    [(key_id, kind, status, domains, notify, name)] = keys_of(app, "owner@example.com")
    assert (kind, domains, notify, name) == ("publishable", ["example.com", "shop.example.org"], True, "Blog")
    page = owner.get(f"/dashboard/keys/{key_id}").get_data(as_text=True)
    assert raw in page and "access_key" in page  # publishable keys stay visible, with their snippet


def test_a_secret_key_made_in_the_dashboard_is_shown_once(owner, app):
    response = post_form(owner, "/dashboard/keys", "/dashboard/keys", kind="secret", name="Backend", domains="")
    raw = re.search(r"ck_secret_[A-Za-z0-9]+", response.get_data(as_text=True)).group(0)
    assert v1_status(owner, raw) == 200
    key_id = key_id_of(app, raw)
    for page in (owner.get("/dashboard/keys"), owner.get(f"/dashboard/keys/{key_id}")):
        text = page.get_data(as_text=True)
        assert raw not in text and f"ck_secret_…{raw[-4:]}" in text


@pytest.mark.parametrize("form, message", [
    ({"kind": "root"}, "Not a valid choice"),
    ({"kind": "secret", "domains": "example.com"}, "Only publishable keys"),
    ({"kind": "publishable", "domains": "not a domain/x"}, "is not a domain name"),
    ({"kind": "publishable", "name": "x" * 101}, "100"),
    ({"kind": "publishable", "name": "a\x00b"}, "NUL"),  # was a 500 on PostgreSQL, which refuses NUL in text
])
def test_a_bad_new_key_form_is_shown_again_with_the_error(owner, app, form, message):
    response = post_form(owner, "/dashboard/keys", "/dashboard/keys", **form)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert table_count(app, ApiKey) == 0


def test_the_eleventh_active_key_is_refused(owner, app, make_key):
    for _ in range(10):
        make_key("owner@example.com", "secret")
    response = post_form(owner, "/dashboard/keys", "/dashboard/keys", kind="publishable")
    assert response.status_code == 409 and LIMIT_MESSAGE in response.get_data(as_text=True)
    assert len(keys_of(app, "owner@example.com")) == 10


def test_disable_enable_and_delete(owner, app, make_key):
    raw = make_key("owner@example.com", "secret")
    key_id = key_id_of(app, raw)
    assert act(owner, key_id, "disable").status_code == 303
    assert v1_status(owner, raw) == 401
    assert "disabled" in owner.get(f"/dashboard/keys/{key_id}").get_data(as_text=True)
    assert act(owner, key_id, "enable").status_code == 303
    assert v1_status(owner, raw) == 200
    response = act(owner, key_id, "delete")
    assert response.status_code == 303 and response.headers["Location"] == "/dashboard/keys"
    assert v1_status(owner, raw) == 401 and keys_of(app, "owner@example.com") == []
    assert owner.get(f"/dashboard/keys/{key_id}").status_code == 404


def test_enabling_past_the_limit_is_refused(owner, app, make_key):
    spare = make_key("owner@example.com", "secret")
    spare_id = key_id_of(app, spare)
    act(owner, spare_id, "disable")
    for _ in range(10):
        make_key("owner@example.com", "secret")
    response = act(owner, spare_id, "enable")
    assert response.status_code == 303
    assert LIMIT_MESSAGE in owner.get(response.headers["Location"]).get_data(as_text=True)
    assert v1_status(owner, spare) == 401


def test_editing_domains(owner, app, make_key):
    key_id = key_id_of(app, make_key("owner@example.com", "publishable", domains=["old.example"]))
    assert act(owner, key_id, "domains", domains="New.Example.com, other.example").status_code == 303
    assert keys_of(app, "owner@example.com")[0][3] == ["new.example.com", "other.example"]
    response = act(owner, key_id, "domains", domains="bad domain/")
    assert response.status_code == 400 and "is not a domain name" in response.get_data(as_text=True)
    assert keys_of(app, "owner@example.com")[0][3] == ["new.example.com", "other.example"]
    assert act(owner, key_id, "domains", domains="").status_code == 303
    assert keys_of(app, "owner@example.com")[0][3] == []


def test_a_secret_key_cannot_get_domains(owner, app, make_key):
    key_id = key_id_of(app, make_key("owner@example.com", "secret"))
    assert act(owner, key_id, "domains", domains="example.com").status_code == 400
    assert keys_of(app, "owner@example.com")[0][3] == []


def test_the_notification_toggle(owner, app, make_key):
    key_id = key_id_of(app, make_key("owner@example.com", "publishable"))
    assert keys_of(app, "owner@example.com")[0][4] is True
    assert act(owner, key_id, "notify", notify="off").status_code == 303
    assert keys_of(app, "owner@example.com")[0][4] is False
    assert act(owner, key_id, "notify", notify="on").status_code == 303
    assert keys_of(app, "owner@example.com")[0][4] is True
    assert act(owner, key_id, "notify", notify="maybe").status_code == 400


@pytest.mark.parametrize("action, form", [
    ("disable", {}), ("enable", {}), ("delete", {}), ("domains", {"domains": "evil.example"}),
    ("notify", {"notify": "off"}),
])
def test_another_accounts_key_is_404_and_untouched(owner, app, make_key, action, form):
    theirs = make_key("someone@example.com", "publishable")
    key_id = key_id_of(app, theirs)
    before = keys_of(app, "someone@example.com")
    assert owner.get(f"/dashboard/keys/{key_id}").status_code == 404
    assert act(owner, key_id, action, **form).status_code == 404
    assert keys_of(app, "someone@example.com") == before
    assert theirs not in owner.get("/dashboard/keys").get_data(as_text=True)


@pytest.mark.parametrize("action, form", [("disable", {}), ("delete", {}), ("notify", {"notify": "off"}),
                                          ("domains", {"domains": "x.example"})])
def test_key_buttons_without_csrf_change_nothing(owner, app, make_key, action, form):
    key_id = key_id_of(app, make_key("owner@example.com", "publishable"))
    before = keys_of(app, "owner@example.com")
    assert owner.post(f"/dashboard/keys/{key_id}/{action}", data=form).status_code == 400
    assert keys_of(app, "owner@example.com") == before


def test_key_names_are_escaped(owner, app):
    post_form(owner, "/dashboard/keys", "/dashboard/keys", kind="publishable", name='<script>alert("x")</script>')
    key_id = keys_of(app, "owner@example.com")[0][0]
    for path in ("/dashboard/keys", f"/dashboard/keys/{key_id}"):
        text = owner.get(path).get_data(as_text=True)
        assert "<script>alert" not in text and "&lt;script&gt;alert" in text


def test_a_session_of_a_vanished_account_is_signed_out(owner, app):
    from contactapi.extensions import db
    from contactapi.models import Account
    with app.app_context():
        db.session.execute(db.delete(Account))
        db.session.commit()
        db.session.remove()
    assert owner.get("/dashboard/keys").status_code == 302
    assert csrf_from(owner.get("/signin"))


def test_a_sign_in_lasts_twelve_hours(owner, monkeypatch):
    assert owner.get("/dashboard/keys").status_code == 200
    eleven_hours_on = int(time.time()) + 11 * 3600
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: eleven_hours_on)
    assert owner.get("/dashboard/keys").status_code == 200
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: eleven_hours_on + 3600 + 5)
    response = owner.get("/dashboard/keys")
    assert response.status_code == 302 and "/signin" in response.headers["Location"]


def test_a_key_sets_what_its_visitors_see(app, owner, client):
    post_form(owner, "/dashboard/keys", "/dashboard/keys", kind="publishable", name="Shop", domains="example.com")
    [(key_id, *_rest)] = keys_of(app, "owner@example.com")
    page = f"/dashboard/keys/{key_id}"
    refused = post_form(owner, page, f"{page}/visitor-pages", success_url="https://evil.net/x", thank_you_message="")
    assert refused.status_code == 400 and "Enter a full address on example.com" in refused.get_data(as_text=True)
    saved = post_form(owner, page, f"{page}/visitor-pages", success_url="",
                      thank_you_message="Thanks! We answer within a day.")
    assert saved.status_code == 303
    thanks = client.get(f"/thanks?k={key_id}").get_data(as_text=True)
    assert "Thanks! We answer within a day." in thanks
    post_form(owner, page, f"{page}/visitor-pages", success_url="https://www.example.com/merci", thank_you_message="")
    with app.app_context():
        from contactapi.extensions import db
        key = db.session.get(ApiKey, key_id)
        assert (key.success_url, key.thank_you_message) == ("https://www.example.com/merci", None)
        raw = key.public_value
        db.session.remove()
    landed = client.post("/v1/contacts", data={"access_key": raw, "email": "a@example.com"},
                         headers={"Origin": "https://example.com", "Accept": "text/html"})
    assert landed.status_code == 303 and landed.headers["Location"] == "https://www.example.com/merci"


@pytest.mark.parametrize("action, form", [
    ("domains", {"domains": "a\x00b.example"}),
    ("autoresponder", {"enabled": "y", "subject": "Hi\x00", "body": "Thanks\x00"}),
    ("challenge", {"kind": "turnstile", "site_key": "site\x00", "secret": "secret\x00"}),
    ("content-rules", {"blocked_words": "spam\x00"}),
])
def test_a_nul_in_a_key_form_is_the_forms_error_and_stores_nothing(owner, app, make_key, action, form):
    key_id = key_id_of(app, make_key(kind="publishable"))
    before = key_settings(app)
    response = post_form(owner, f"/dashboard/keys/{key_id}", f"/dashboard/keys/{key_id}/{action}", **form)
    assert response.status_code == 400 and "NUL" in response.get_data(as_text=True)
    assert key_settings(app) == before


@pytest.mark.parametrize("path, status", [
    ("/dashboard/contacts/con_%00abc", 404), ("/dashboard/contacts/con_%00abc/person.json", 404),
    ("/dashboard/keys/key_%00abc", 404), ("/dashboard/inbox/sub_%00abc", 404), ("/dashboard/webhooks/wh_%00abc", 404),
    ("/dashboard/contacts?q=a%00b", 400), ("/dashboard/inbox?q=a%00b", 400), ("/dashboard/inbox?key=key_%00", 400),
    ("/dashboard/spam?key=key_%00", 400), ("/dashboard/export/csv?q=a%00b", 400),
    ("/dashboard/inbox/export/csv?key=key_%00", 400),
])
def test_a_nul_in_a_dashboard_path_or_query_is_404_or_400_on_every_database(owner, path, status):
    response = owner.get(path)
    assert response.status_code == status and response.mimetype == "text/html"


def test_a_nul_in_a_key_button_path_changes_nothing(owner, app, make_key):
    key_id = key_id_of(app, make_key(kind="publishable"))
    response = post_form(owner, f"/dashboard/keys/{key_id}", "/dashboard/keys/key_%00abc/disable")
    assert response.status_code == 404 and keys_of(app, "owner@example.com")[0][2] == "active"
