"""Helpers of the keyring tests: CSRF tokens from pages, links from received mail, counting rows."""
import re
from urllib.parse import urlsplit

import requests

from contactapi import accounts, keys, magic_links
from contactapi.extensions import db

CSRF_INPUT = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
LINK = re.compile(r"https?://[^\s\"<>]+/link/[A-Za-z0-9._-]+")


def csrf_from(page):
    """The first CSRF token in a page (a response or its HTML)."""
    html = page if isinstance(page, str) else page.get_data(as_text=True)
    match = CSRF_INPUT.search(html)
    assert match, "no csrf_token field in the page"
    return match.group(1)


def path_of(url):
    return urlsplit(url).path


def link_in(inbox, address):
    """The one link of the newest message to address, as a path the test client can open."""
    messages = inbox.to(address)
    assert messages, f"no mail to {address}"
    found = set(LINK.findall(inbox.text_of(messages[-1])))
    assert len(found) == 1, found
    return path_of(found.pop())


def click(client, link_path, **form):
    """Open an emailed link and press its button (GET, then POST with the page's CSRF token)."""
    page = client.get(link_path)
    assert page.status_code == 200, page.get_data(as_text=True)
    return client.post(link_path, data={"csrf_token": csrf_from(page), **form})


def post_form(client, page_path, action_path, **form):
    """Submit a form of page_path to action_path, as a browser would (with the page's CSRF token)."""
    page = client.get(page_path)
    return client.post(action_path, data={"csrf_token": csrf_from(page), **form})


def table_count(app, model, **where):
    with app.app_context():
        query = db.select(db.func.count()).select_from(model).filter_by(**where)
        count = db.session.scalar(query)
        db.session.remove()
    return count


def keys_of(app, email):
    with app.app_context():
        account = accounts.find_account(email)
        found = [(k.id, k.kind, k.status, list(k.domains), k.notify, k.name) for k in keys.keys_of(account.id)] \
            if account else []
        db.session.remove()
    return found


def dashboard_poster(app, base, email="owner@example.com"):
    """Sign in to the dashboard of a real server at base (gunicorn); returns post(path, **form) → a call that
    submits the form as that browser would (from any thread: it shares no requests.Session)."""
    with app.test_request_context():
        token = magic_links.make(email, "sign_in")
        db.session.remove()
    browser = requests.Session()
    page = browser.get(f"{base}/link/{token}", timeout=10)
    signed_in = browser.post(f"{base}/link/{token}", data={"csrf_token": csrf_from(page.text)},
                             headers={"Referer": f"{base}/link/{token}"}, allow_redirects=False, timeout=10)
    assert signed_in.status_code == 303
    csrf, cookies = csrf_from(browser.get(f"{base}/dashboard/inbox", timeout=10).text), browser.cookies.get_dict()

    def post(path, **form):
        return lambda: requests.post(f"{base}{path}", data={"csrf_token": csrf, **form}, cookies=cookies,
                                     headers={"Referer": f"{base}/dashboard"}, allow_redirects=False, timeout=60)

    return post
