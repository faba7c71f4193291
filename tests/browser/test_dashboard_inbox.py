"""The inbox, search, filters, bulk actions, overview and exports in a real browser against real gunicorn;
axe-core on every dashboard and public page at 1280 and 390 px wide."""
import os
import re

import pytest
import requests

from contactapi import magic_links
from contactapi.extensions import db

OWNER = "owner@example.com"
WIDTHS = (1280, 390)
# axe-core (npm, pinned in .ci/run) is installed outside the repository; its path comes from the environment.
AXE = os.environ.get("AXE_CORE_JS", "")
SHOTS = os.environ.get("SCREENSHOTS_DIR")  # set it to keep a screenshot of every page at every width

pytestmark = pytest.mark.slow


@pytest.fixture
def site(app, gunicorn, make_key):
    """(base URL, publishable key, secret key) of gunicorn with three submissions from two senders."""
    base = gunicorn(workers=1)
    public = make_key(OWNER, "publishable", name="Landing page")
    secret = make_key(OWNER, "secret", name="Backend")
    auth = {"Authorization": f"Bearer {secret}"}
    for payload, page in [
        ({"email": "ada.lovelace@example.com", "message": "Could you send a quote for the engine?\nThanks"},
         "https://shop.example/contact"),
        ({"email": "bob@example.org", "message": "Hello, is the visitor plan still available?"}, "https://shop.example/"),
        ({"email": "ada.lovelace@example.com", "message": "Following up on my quote", "company": "Analytical Ltd"}, None),
    ]:
        headers = {**auth, **({"Referer": page} if page else {}), "User-Agent": "Mozilla/5.0 (test) Firefox/140"}
        assert requests.post(f"{base}/v1/contacts", json=payload, headers=headers, timeout=5).ok
    return base, public, secret


def sign_in(app, browser_page, base):
    with app.test_request_context():
        token = magic_links.make(OWNER, "sign_in")
        db.session.remove()
    browser_page.goto(f"{base}/link/{token}")
    browser_page.click("button:has-text('Sign in')")
    assert browser_page.url == base + "/dashboard"


def senders(page):
    return [text.strip() for text in page.locator(".message .sender").all_inner_texts()]


def test_inbox_search_filters_bulk_overview_and_export(app, browser, site, tmp_path):
    base, _public, _secret = site
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.on("dialog", lambda dialog: dialog.accept())
    try:
        sign_in(app, page, base)
        # Overview: per-key counts, a chart per key, and a test submission through the real create path.
        assert "3 unread in the inbox" in page.inner_text("main")
        assert page.locator("figure.chart svg").count() == 2
        backend = page.locator("section.key-activity", has_text="Backend")
        assert backend.locator("dd").first.inner_text() == "3"
        backend.locator("button:has-text('Send a test submission')").click()
        assert "A test submission from owner@example.com arrived through Backend" in page.inner_text("main")
        assert "4 unread in the inbox" in page.inner_text("main")

        # Inbox: newest first across contacts, key names, first lines.
        page.click("nav a:has-text('Inbox')")
        assert senders(page) == [OWNER, "ada.lovelace@example.com", "bob@example.org", "ada.lovelace@example.com"]
        assert "Could you send a quote for the engine? · Thanks" in page.inner_text("main")
        assert page.locator(".message a:has-text('Backend')").count() == 4

        # Search: partial, case-insensitive, over text and emails.
        page.fill("input[name=q]", "QUOT")
        page.click("button:has-text('Apply')")
        assert senders(page) == ["ada.lovelace@example.com", "ada.lovelace@example.com"]
        page.fill("input[name=q]", "ample.or")
        page.click("button:has-text('Apply')")
        assert senders(page) == ["bob@example.org"]

        # Opening one marks it read; the unread filter then leaves it out.
        page.click(".message .sender")
        assert "Hello, is the visitor plan still available?" in page.inner_text("main")
        assert "https://shop.example/" in page.inner_text("main")
        page.goto(f"{base}/dashboard/inbox?state=unread")
        assert "bob@example.org" not in senders(page) and len(senders(page)) == 3

        # Bulk: mark two read, then delete one; the filter is kept across the action.
        page.locator(".message input[type=checkbox]").nth(0).check()
        page.locator(".message input[type=checkbox]").nth(1).check()
        page.click("button[value=read]")
        assert "Marked 2 as read." in page.inner_text("main") and "state=unread" in page.url
        assert len(senders(page)) == 1
        page.goto(f"{base}/dashboard/inbox")
        page.locator(".message input[type=checkbox]").nth(0).check()
        page.click("button[value=delete]")
        assert "Deleted 1 submission(s)." in page.inner_text("main") and len(senders(page)) == 3

        # Export what the page shows, streamed.
        page.fill("input[name=q]", "quote")
        page.click("button:has-text('Apply')")
        with page.expect_download() as download:
            page.click("a.button:has-text('CSV')")
        exported = download.value.path().read_text(encoding="utf-8")
        assert exported.count("ada.lovelace@example.com") == 2 and "bob@example.org" not in exported
        assert exported.startswith('"id","contact_id","email"')
    finally:
        page.close()


def _pages(app, base, secret):
    """Every dashboard and public page, by name → path (ids looked up through the API and the inbox)."""
    contact_id = requests.get(f"{base}/v1/contacts", headers={"Authorization": f"Bearer {secret}"},
                              timeout=5).json()["data"][0]["id"]
    with app.test_request_context():
        link = magic_links.make("new@example.com", "create_key", {"kind": "publishable", "domains": []})
        db.session.remove()
    return {
        "home": "/", "signin": "/signin", "thanks": "/thanks", "link": f"/link/{link}", "bad-link": "/link/nope",
        "not-found": "/nowhere", "overview": "/dashboard", "inbox": "/dashboard/inbox",
        "contacts": "/dashboard/contacts", "contact": f"/dashboard/contacts/{contact_id}", "keys": "/dashboard/keys",
    }


def _axe_problems(page):
    page.add_script_tag(path=AXE)
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def test_every_page_passes_axe_and_fits_390_px(app, browser, site):
    if not (AXE and os.path.exists(AXE)):
        pytest.skip("axe-core is not installed: set AXE_CORE_JS to its axe.min.js (.ci/run installs it with npm)")
    base, _public, secret = site
    paths = _pages(app, base, secret)
    problems = {}
    for width in WIDTHS:
        page = browser.new_page(viewport={"width": width, "height": 900}, bypass_csp=True)
        try:
            sign_in(app, page, base)
            page.click("nav a:has-text('Inbox')")
            page.click(".message .sender")
            opened = {"submission": re.sub(r"^https?://[^/]+", "", page.url)}
            key_path = page.locator("main a[href^='/dashboard/keys/']").first.get_attribute("href")
            for name, path in {**paths, **opened, "key": key_path}.items():
                page.goto(base + path)
                if SHOTS:
                    os.makedirs(SHOTS, exist_ok=True)
                    page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)
                found = _axe_problems(page)
                if found:
                    problems[f"{name} at {width}px"] = found
                too_wide = page.evaluate("document.documentElement.scrollWidth") > width
                if too_wide:
                    problems[f"{name} at {width}px"] = problems.get(f"{name} at {width}px", []) + ["wider than the screen"]
        finally:
            page.close()
    assert problems == {}
