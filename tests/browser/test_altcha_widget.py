"""The real ALTCHA widget (npm `altcha`, pinned in tests/npm.py) on a customer's static page: Chromium solves
the challenge from GET /v1/challenge and the form is stored; the same page sent without solving is refused."""
import os

import pytest
import requests

from contactapi import challenges, keys
from contactapi.extensions import db
from contactapi.keyring.snippet import ALTCHA_SCRIPT, form_snippet

pytestmark = pytest.mark.slow


@pytest.fixture
def site(gunicorn, make_app, make_key, customer_site, tmp_path, npm_dir):
    base = gunicorn(workers=2, ALTCHA_COST="100")
    write, port = customer_site
    (tmp_path / "node_modules").symlink_to(os.path.join(npm_dir, "node_modules"))
    public_key = make_key("owner@example.com", kind="publishable", domains=["localhost"])
    secret_key = make_key("owner@example.com")
    with make_app(BASE_URL=base).app_context():
        principal = keys.authenticate(public_key)
        key = keys.key_of(principal.account_id, principal.key_id)
        challenges.configure(key, "altcha")
        snippet = form_snippet(public_key, key.challenge)  # exactly what the dashboard shows the owner
        db.session.remove()
    assert f'challenge="{base}/v1/challenge?key={public_key}"' in snippet
    # The page loads the widget from the customer's own site instead of the CDN (the same pinned package).
    write("contact.html", snippet.replace(ALTCHA_SCRIPT, "/node_modules/altcha/dist/main/altcha.min.js"))

    def contacts():
        answer = requests.get(base + "/v1/contacts", headers={"Authorization": f"Bearer {secret_key}"}, timeout=10)
        return answer.json()["data"]

    return {"base": base, "url": f"http://localhost:{port}/contact.html", "contacts": contacts}


@pytest.fixture
def page(browser):
    context = browser.new_context()
    yield context.new_page()
    context.close()


def fill(page, url):
    page.goto(url)
    page.fill("input[name=email]", "visitor@example.com")
    page.fill("textarea[name=message]", "Hello, human here")


def test_the_widget_solves_the_challenge_and_the_form_is_stored(site, page):
    fill(page, site["url"])
    page.locator("altcha-widget input[type=checkbox]").click(force=True)  # its styled tick lies over it
    page.wait_for_function("() => (document.querySelector('input[name=altcha]') || {}).value", timeout=30_000)
    page.click("button[type=submit]")
    page.wait_for_url(site["base"] + "/thanks?k=key_*")
    [contact] = site["contacts"]()
    assert contact["email"] == "visitor@example.com" and contact["message"] == "Hello, human here"
    assert "altcha" not in contact


def test_the_same_page_sent_without_solving_is_refused(site, page):
    fill(page, site["url"])
    with page.expect_navigation():
        page.evaluate("() => document.querySelector('form').submit()")  # past the widget, as a bot would post
    assert "not a robot" in page.inner_text("body")
    assert site["contacts"]() == []
