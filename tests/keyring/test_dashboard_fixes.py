"""Fixes from trying the dashboard: key names, every field, emails unbroken, the home form, domains as URLs,
an identity, and the development-mode mail notice."""
import re

from contactapi.config import DevelopmentConfig, TestConfig
from tests.keyring.helpers import csrf_from, keys_of, post_form
from tests.keyring.test_dashboard_keys import key_id_of


def test_contact_page_names_keys_folds_long_fields_and_keeps_emails_whole(owner, client, app, make_key):
    raw = make_key("owner@example.com", "secret", name="Backend")
    key_id = key_id_of(app, raw)
    long_text = "word " * 200
    created = client.post("/v1/contacts", json={"email": "ada.lovelace@example.com", "a": 1, "b": 2, "c": 3,
                                                "d": "fourth", "essay": long_text},
                          headers={"Authorization": f"Bearer {raw}"}).get_json()
    page = owner.get(f"/dashboard/contacts/{created['id']}").get_data(as_text=True)
    assert f'<a href="/dashboard/keys/{key_id}">Backend</a>' in page and f"via {key_id}" not in page
    assert '<details class="folded">' in page and long_text.strip() in page
    assert 'ada<wbr>.lovelace@<wbr>example<wbr>.com' in page
    listing = owner.get("/dashboard/contacts").get_data(as_text=True)
    assert "d: fourth" in listing  # every field, not the first three


def test_the_home_form_hides_kind_and_domains_unless_creating_a_key(mail_app):
    client = mail_app.test_client()
    page = client.get("/")
    html = page.get_data(as_text=True)
    assert re.search(r'<div class="only-new-key">\s*<div class="field">\s*<fieldset>\s*<legend>Kind of key', html)
    css = client.get("/static/style.css").get_data(as_text=True)
    assert "form:has(input[name=request_type][value=getKeys]:checked) .only-new-key { display: none; }" in css
    # Hidden fields a browser still sends are ignored for "get my keys": no error the owner cannot see.
    response = client.post("/", data={"csrf_token": csrf_from(page), "email": "ada@example.com",
                                      "request_type": "getKeys", "kind": "secret", "domains": "not a domain/"})
    assert response.status_code == 200 and mail_app.inbox.to("ada@example.com")


def test_a_domain_pasted_as_a_url_keeps_its_host_and_the_page_says_so(owner, app, make_key):
    key_id = key_id_of(app, make_key("owner@example.com", "publishable"))
    response = post_form(owner, f"/dashboard/keys/{key_id}", f"/dashboard/keys/{key_id}/domains",
                         domains="https://Shop.Example.com:8443/contact?x=1")
    assert keys_of(app, "owner@example.com")[0][3] == ["shop.example.com"]
    page = owner.get(response.headers["Location"]).get_data(as_text=True)
    assert "This key now works on shop.example.com and their subdomains" in page
    assert "a pasted address keeps only its host" in page


def test_every_page_has_the_favicon_and_logo(client):
    page = client.get("/").get_data(as_text=True)
    assert 'rel="icon" href="/static/favicon.svg"' in page and '<a class="brand" href="/"><img src="/static/favicon.svg"' in page
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"


def _sent_page(make_app, config):
    app = make_app(**{name: getattr(config, name, None) for name in ("ENVIRONMENT",)}, MAIL_SERVER=None,
                   RATELIMIT_ENABLED=False)
    client = app.test_client()
    form = client.get("/signin")
    return client.post("/signin", data={"csrf_token": csrf_from(form), "email": "ada@example.com"}).get_data(as_text=True)


def test_in_development_the_sent_page_says_the_mail_was_printed(make_app):
    assert "printed in the terminal" in _sent_page(make_app, DevelopmentConfig)
    assert "printed in the terminal" not in _sent_page(make_app, TestConfig)
