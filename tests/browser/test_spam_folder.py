"""The Spam page in a real browser against real gunicorn: a honeypot post shows up, "Not spam" makes it a
contact; axe-core finds no serious problem on it at 1280 and 390 px, and it fits the narrow screen."""
import os

import pytest
import requests

from tests.browser.test_dashboard_inbox import AXE, OWNER, SHOTS, WIDTHS, _axe_problems, sign_in

pytestmark = pytest.mark.slow


@pytest.fixture
def spam_site(app, gunicorn, make_key):
    """(base URL of gunicorn, publishable key) with two honeypot posts in the folder, one with a long message."""
    base = gunicorn(workers=1)
    public = make_key(OWNER, "publishable", name="Landing page")
    headers = {"Authorization": f"Bearer {public}", "Origin": "https://shop.example"}
    for body in ({"email": "ada@example.net", "message": "Real question, caught by mistake", "_gotcha": "autofill"},
                 {"email": "bot@spam.example", "message": "Cheap pills " * 60, "_gotcha": "x"}):
        answer = requests.post(f"{base}/v1/contacts", json=body, headers=headers, timeout=5)
        assert answer.status_code == 201  # the usual success: a bot cannot tell
    return base, public


def test_not_spam_on_the_spam_page_makes_a_contact(app, browser, spam_site):
    base, _public = spam_site
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.on("dialog", lambda dialog: dialog.accept())
    try:
        sign_in(app, page, base)
        page.click("nav a:has-text('Spam')")
        rows = page.locator("li.message")
        assert rows.count() == 2
        assert "A hidden field was filled in" in rows.first.inner_text()
        assert page.locator("details.folded").count() == 1  # the long message is folded
        ada = page.locator("li.message", has_text="ada@example.net")
        ada.locator("button:has-text('Not spam')").click()
        assert "Moved to your contacts: ada@example.net." in page.inner_text("main")
        assert page.locator("li.message").count() == 1
        page.click("nav a:has-text('Contacts')")
        assert "ada@example.net" in page.inner_text("main")
    finally:
        page.close()


def test_the_spam_page_passes_axe_and_fits_390_px(app, browser, spam_site):
    if not (AXE and os.path.exists(AXE)):
        pytest.skip("axe-core is not installed: set AXE_CORE_JS to its axe.min.js (.ci/run installs it with npm)")
    base, _public = spam_site
    problems = {}
    for width in WIDTHS:
        page = browser.new_page(viewport={"width": width, "height": 900}, bypass_csp=True)
        try:
            sign_in(app, page, base)
            page.goto(f"{base}/dashboard/spam")
            if SHOTS:
                os.makedirs(SHOTS, exist_ok=True)
                page.screenshot(path=f"{SHOTS}/spam-{width}.png", full_page=True)
            found = _axe_problems(page)
            if page.evaluate("document.documentElement.scrollWidth") > width:
                found.append("wider than the screen")
            if found:
                problems[width] = found
        finally:
            page.close()
    assert problems == {}
