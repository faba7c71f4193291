"""A key holder's whole journey in a real browser, against real gunicorn and a real SMTP server:
request a key by email → create it from the emailed link → paste its form → sign in through a second
link → make a secret key → disable it → the API refuses it."""
import re
import time

import pytest
import requests

from tests.ports import free_port

EMAIL = "journey@example.com"
LINK = re.compile(r"http://127\.0\.0\.1:\d+/link/[A-Za-z0-9._-]+")


def emailed_link(inbox, subject):
    """The link in the newest message to EMAIL with this subject, waiting briefly for it to arrive."""
    deadline = time.monotonic() + 10
    while not (messages := [m for m in inbox.to(EMAIL) if m["Subject"] == subject]):
        assert time.monotonic() < deadline, f"no email {subject!r} arrived"
        time.sleep(0.05)
    return LINK.search(inbox.text_of(messages[-1])).group(0)


@pytest.fixture
def server(gunicorn, smtp_server):
    """(base URL, inbox) of gunicorn whose BASE_URL is its own address and whose mail goes to smtp_server."""
    host, smtp_port, inbox = smtp_server
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    assert gunicorn(workers=2, port=port, MAIL_SERVER=host, MAIL_PORT=str(smtp_port), BASE_URL=base) == base
    return base, inbox


def test_from_key_request_to_a_disabled_key(browser, server):
    base, inbox = server
    page = browser.new_page(viewport={"width": 390, "height": 844})
    try:
        # 1. Ask for a publishable key with the form on the home page.
        page.goto(base + "/")
        page.fill("input[name=email]", EMAIL)
        page.check("input[name=kind][value=publishable]")
        page.click("text=Email me the link")
        assert "Check your inbox" in page.inner_text("main")
        assert "ck_" not in page.content()

        # 2. The emailed link opens a page; its button creates the key and shows it with the snippet.
        page.goto(emailed_link(inbox, "Create your contactapi key"))
        page.click("button:has-text('Create my key')")
        public_key = page.inner_text("#new-key").strip()
        assert public_key.startswith("ck_pub_")
        snippet = page.inner_text("#snippet")
        assert f'action="{base}/v1/contacts"' in snippet and public_key in snippet
        assert page.is_visible("button[data-copy=new-key]")  # app.js ran under the CSP

        # 3. The snippet works as pasted: a visitor's message becomes a contact.
        site = browser.new_page()
        site.set_content(f"<!doctype html><title>My site</title>{snippet}")
        site.fill("input[name=email]", "visitor@example.net")
        site.fill("textarea[name=message]", "Hello from the snippet")
        with site.expect_navigation():
            site.click("button[type=submit]")
        assert site.url.startswith(base)
        site.close()

        # 4. Sign in through a second emailed link.
        page.goto(base + "/signin")
        page.fill("input[name=email]", EMAIL)
        page.click("text=Email me a sign-in link")
        page.goto(emailed_link(inbox, "Sign in to contactapi"))
        page.click("button:has-text('Sign in')")
        assert page.url == base + "/dashboard"  # the overview
        assert "1 unread in the inbox" in page.inner_text("main")
        page.click("nav a:has-text('Keys')")
        assert public_key in page.inner_text("main")
        page.click("a:has-text('Contacts')")
        assert "visitor@example.net" in page.inner_text("main")

        # 5. A secret key made in the dashboard is shown once and works.
        page.click("nav a:has-text('Keys')")
        page.check("input[name=kind][value=secret]")
        page.fill("input[name=name]", "Backend")
        page.click("text=Create key")
        secret = page.inner_text("#new-key").strip()
        assert secret.startswith("ck_secret_")
        auth = {"Authorization": f"Bearer {secret}"}
        listing = requests.get(base + "/v1/contacts", headers=auth, timeout=5)
        assert listing.status_code == 200 and listing.json()["data"][0]["email"] == "visitor@example.net"

        # 6. Disable it from its page: the API now refuses it.
        page.click("a:has-text('Back to my keys')")
        page.click("a:has-text('Backend')")
        page.click("button:has-text('Disable')")
        assert "is disabled" in page.inner_text("main")
        assert requests.get(base + "/v1/contacts", headers=auth, timeout=5).status_code == 401
        created = requests.post(base + "/v1/contacts", json={"email": "late@example.net"}, headers=auth, timeout=5)
        assert created.status_code == 401
    finally:
        page.close()
