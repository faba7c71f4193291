"""The inbox, its search and filters, bulk actions, the overview, and signing in back to the page asked for."""
import re
from datetime import datetime, timedelta

import pytest

from contactapi import keys, search
from contactapi.extensions import db
from contactapi.models import ApiKey, Submission
from tests.keyring.helpers import click, csrf_from, link_in, post_form


@pytest.fixture
def named_key(app, make_key):
    """named_key(name, owner="owner@example.com") → (raw secret key, key id)."""

    def _make(name, owner="owner@example.com"):
        raw = make_key(owner, "secret", name=name)
        with app.app_context():
            key_id = db.session.scalar(db.select(ApiKey.id).where(ApiKey.digest == keys.digest(raw)))
            db.session.remove()
        return raw, key_id

    return _make


def send(client, raw_key, payload, **headers):
    response = client.post("/v1/contacts", json=payload, headers={"Authorization": f"Bearer {raw_key}", **headers})
    assert response.status_code in (200, 201), response.get_json()


def stored(app, **where):
    with app.app_context():
        rows = db.session.execute(db.select(Submission).filter_by(**where).order_by(Submission.created_at)).scalars().all()
        found = [{"id": r.id, "email": r.fields["email"], "page": r.page, "user_agent": r.user_agent,
                  "read": r.read_at is not None, "key_id": r.key_id} for r in rows]
        db.session.remove()
    return found


def senders_on(page):
    found = re.findall(r'class="sender email" href="[^"]+">(.*?)</a>', page.get_data(as_text=True))
    return [re.sub(r"<[^>]+>", "", html) for html in found]


def ids_on(page):
    return re.findall(r'name="ids" value="(sub_[A-Za-z0-9]+)"', page.get_data(as_text=True))


def test_a_submission_keeps_its_page_and_browser_not_the_ip(app, client, named_key, make_key):
    raw, _ = named_key("Site")
    send(client, raw, {"email": "ada@example.com"}, Referer="https://site.example/contact?x=1",
         **{"User-Agent": "Firefox/140", "X-Forwarded-For": "203.0.113.9"})
    # A page's fetch() carries an Origin, and pages use publishable keys (secret ones are refused there).
    send(client, make_key(kind="publishable"), {"email": "bob@example.com"}, Origin="https://other.example")
    rows = stored(app)
    assert [(r["page"], r["user_agent"]) for r in rows][0] == ("https://site.example/contact?x=1", "Firefox/140")
    assert rows[1]["page"] == "https://other.example"
    with app.app_context():
        columns = [c.name for c in Submission.__table__.columns]
    assert not [name for name in columns if "ip" in name.split("_")]
    assert "203.0.113.9" not in repr(rows) and all(not r["read"] for r in rows)


def test_inbox_lists_every_submission_newest_first_with_key_names(owner, client, app, named_key):
    raw, key_id = named_key("Landing page")
    send(client, raw, {"email": "ada@example.com", "message": "First line\nSecond line\nThird line"})
    send(client, raw, {"email": "bob@example.com", "message": "Hi"}, Referer="https://site.example/p")
    send(client, raw, {"email": "ada@example.com", "message": "Again"})
    page = owner.get("/dashboard/inbox")
    text = page.get_data(as_text=True)
    assert senders_on(page) == ["ada@example.com", "bob@example.com", "ada@example.com"]
    assert "First line · Second line" in text and "Third line" not in text
    assert f'href="/dashboard/keys/{key_id}">Landing page</a>' in text and key_id not in re.sub(r'(href|value)="[^"]+"', "", text)
    assert "from https://site.example/p" in text


def test_opening_a_submission_marks_it_read(owner, client, app, named_key):
    raw, key_id = named_key("Site")
    send(client, raw, {"email": "ada@example.com", "message": "<script>alert(1)</script>"})
    [submission] = stored(app)
    page = owner.get(f"/dashboard/inbox/{submission['id']}")
    assert page.status_code == 200 and "&lt;script&gt;" in page.get_data(as_text=True)
    assert stored(app)[0]["read"]
    assert ids_on(owner.get("/dashboard/inbox?state=unread")) == []
    assert ids_on(owner.get("/dashboard/inbox?state=read")) == [submission["id"]]


def test_filters_by_key_days_and_state(owner, client, app, named_key):
    first, first_id = named_key("One")
    second, _ = named_key("Two")
    send(client, first, {"email": "old@example.com"})
    send(client, second, {"email": "new@example.com"})
    with app.app_context():
        old = db.session.scalar(db.select(Submission).where(Submission.key_id == first_id))
        old.created_at = datetime(2026, 1, 10, 12)
        db.session.commit()
        db.session.remove()
    assert senders_on(owner.get(f"/dashboard/inbox?key={first_id}")) == ["old@example.com"]
    assert senders_on(owner.get("/dashboard/inbox?since=2026-01-10&until=2026-01-10")) == ["old@example.com"]
    assert senders_on(owner.get("/dashboard/inbox?since=2026-01-11")) == ["new@example.com"]
    bad = owner.get("/dashboard/inbox?since=2026-02-01&until=2026-01-01")
    assert bad.status_code == 400 and "must not be after" in bad.get_data(as_text=True)
    assert owner.get("/dashboard/inbox?state=maybe").status_code == 400
    assert senders_on(owner.get("/dashboard/inbox?until=9999-12-31")) == ["new@example.com", "old@example.com"]
    assert senders_on(owner.get("/dashboard/inbox?since=0001-01-01&until=2026-01-10")) == ["old@example.com"]
    assert len(owner.get("/dashboard/inbox/export/json?until=9999-12-31").get_json()) == 2


def test_search_is_partial_case_insensitive_ranked_and_private(owner, client, app, named_key, make_key):
    raw, _ = named_key("Site")
    send(client, raw, {"email": "visitor@example.com", "message": "Nothing special"})
    send(client, raw, {"email": "zed@example.org", "message": "A VISITOR said visitor twice, visitor"})
    theirs = make_key("someone@example.com", "secret")
    send(client, theirs, {"email": "visitor-other@example.com", "message": "visitor"})
    found = senders_on(owner.get("/dashboard/inbox?q=Visit"))
    assert sorted(found) == ["visitor@example.com", "zed@example.org"]
    assert found[0] == "zed@example.org"  # more matches rank first
    assert senders_on(owner.get("/dashboard/inbox?q=ple.or")) == ["zed@example.org"]
    assert senders_on(owner.get("/dashboard/inbox?q=%25")) == []  # LIKE wildcards are literal
    assert senders_on(owner.get("/dashboard/inbox?q=nothing+visitor")) == ["visitor@example.com"]


def test_a_search_of_more_than_eight_words_is_400_not_the_first_eight(owner, client, named_key):
    """A ninth word was once dropped without a word, so a search found what that word excluded."""
    raw, _ = named_key("Site")
    send(client, raw, {"email": "ada@example.com", "message": "one two three four five six seven eight"})
    eight = "one two three four five six seven eight"
    assert senders_on(owner.get(f"/dashboard/inbox?q={eight}")) == ["ada@example.com"]
    page = owner.get(f"/dashboard/inbox?q={eight} zzzzz")  # the whole inbox, under the filter's sentence
    assert page.status_code == 400 and "Search for at most 8 words" in page.get_data(as_text=True)
    export = owner.get(f"/dashboard/inbox/export/json?q={eight} zzzzz")
    assert export.status_code == 400 and "Search for at most 8 words" in export.get_data(as_text=True)
    assert "ada@example.com" not in export.get_data(as_text=True)


def test_short_terms_fold_case_beyond_ascii_as_long_ones_do(owner, client, named_key):
    """1-2 character terms, too short for SQLite's trigram index, were matched by LIKE, which folds ASCII only."""
    raw, _ = named_key("Site")
    for email, message in [("ete@example.com", "ÉTÉ chaud"), ("cafe@example.com", "CAFÉ NOIR"),
                           ("ao@example.com", "ÄÖ Ü"), ("plain@example.com", "nothing here")]:
        send(client, raw, {"email": email, "message": message})
    assert senders_on(owner.get("/dashboard/inbox?q=é")) == ["ete@example.com", "cafe@example.com"]  # two é first
    assert senders_on(owner.get("/dashboard/inbox?q=ÉT")) == ["ete@example.com"]
    assert senders_on(owner.get("/dashboard/inbox?q=ä+ü")) == ["ao@example.com"]
    assert senders_on(owner.get("/dashboard/inbox?q=été")) == ["ete@example.com"]  # as a trigram term folds


def test_bulk_read_unread_delete_only_touch_ones_own(owner, client, app, named_key, make_key):
    raw, _ = named_key("Site")
    for n in range(3):
        send(client, raw, {"email": f"p{n}@example.com"})
    send(client, make_key("someone@example.com", "secret"), {"email": "theirs@example.com"})
    mine = {r["email"]: r["id"] for r in stored(app) if r["email"] != "theirs@example.com"}
    theirs = [r["id"] for r in stored(app) if r["email"] == "theirs@example.com"]
    page = owner.get("/dashboard/inbox?state=unread")
    picked = [mine["p0@example.com"], mine["p1@example.com"], *theirs]
    response = owner.post("/dashboard/inbox/bulk", data={
        "csrf_token": csrf_from(page), "action": "read", "ids": picked, "back": "state=unread&evil=1"})
    assert response.status_code == 303 and response.headers["Location"] == "/dashboard/inbox?state=unread"
    read = {r["email"]: r["read"] for r in stored(app)}
    assert read == {"p0@example.com": True, "p1@example.com": True, "p2@example.com": False, "theirs@example.com": False}
    post_form(owner, "/dashboard/inbox", "/dashboard/inbox/bulk", action="unread", ids=[mine["p0@example.com"]])
    assert not {r["email"]: r["read"] for r in stored(app)}["p0@example.com"]
    post_form(owner, "/dashboard/inbox", "/dashboard/inbox/bulk", action="delete", ids=picked)
    assert sorted(r["email"] for r in stored(app)) == ["p2@example.com", "theirs@example.com"]
    assert senders_on(owner.get("/dashboard/inbox?q=p0")) == []  # the search forgot it too
    assert owner.post("/dashboard/inbox/bulk", data={"action": "delete", "ids": [mine["p2@example.com"]]}).status_code == 400
    assert len(stored(app)) == 2  # no CSRF token: nothing deleted
    assert post_form(owner, "/dashboard/inbox", "/dashboard/inbox/bulk", action="explode").status_code == 400


def test_overview_counts_per_key_with_a_chart_and_a_test_submission(owner, client, app, named_key):
    raw, key_id = named_key("Shop")
    send(client, raw, {"email": "ada@example.com"})
    send(client, raw, {"email": "bob@example.com"})
    with app.app_context():
        old = db.session.scalars(db.select(Submission)).first()
        old.created_at = datetime.utcnow() - timedelta(days=10)
        db.session.commit()
        db.session.remove()
    page = owner.get("/dashboard").get_data(as_text=True)
    stats = dict(re.findall(r"<dt>([^<]+)</dt><dd>(\d+)</dd>", page))
    assert stats == {"Today": "1", "7 days": "1", "30 days": "2"}
    assert page.count("<rect ") == 30 and "Submissions per day, last 30 days: 2 in all" in page
    assert "2 unread in the inbox" in page
    response = post_form(owner, "/dashboard", f"/dashboard/keys/{key_id}/test")
    assert response.status_code == 303 and response.headers["Location"] == "/dashboard"
    newest = stored(app)[-1]
    assert newest["email"] == "owner@example.com" and newest["key_id"] == key_id
    assert newest["page"] == "http://localhost/dashboard"
    assert "30 days</dt><dd>3" in owner.get("/dashboard").get_data(as_text=True)
    page = owner.get("/dashboard")  # the page it names is on BASE_URL, whatever Host the request named
    owner.set_cookie("session", owner.get_cookie("session").value, domain="attacker.example")
    forged = owner.post(f"/dashboard/keys/{key_id}/test", data={"csrf_token": csrf_from(page)},
                        headers={"Host": "attacker.example"})
    assert forged.status_code == 303, forged.get_data(as_text=True)
    assert len(stored(app)) == 4 and stored(app)[-1]["page"] == "http://localhost/dashboard"


def test_signing_in_returns_to_the_page_asked_for(mail_app):
    client = mail_app.test_client()
    asked = client.get("/dashboard/inbox?state=unread")
    assert asked.status_code == 302
    form = client.get(asked.headers["Location"])
    assert 'name="next" value="/dashboard/inbox?state=unread"' in form.get_data(as_text=True)
    client.post("/signin", data={"csrf_token": csrf_from(form), "email": "owner@example.com",
                                 "next": "/dashboard/inbox?state=unread"})
    response = click(client, link_in(mail_app.inbox, "owner@example.com"))
    assert response.status_code == 303 and response.headers["Location"] == "/dashboard/inbox?state=unread"


@pytest.mark.parametrize("next_page", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "/signout",
                                       "/dashboard/contacts/x\r\ny", "/dashboard?q=a\nb"])
def test_signing_in_never_lands_outside_the_dashboard(mail_app, next_page):
    client = mail_app.test_client()
    form = client.get("/signin")
    client.post("/signin", data={"csrf_token": csrf_from(form), "email": "owner@example.com", "next": next_page})
    response = click(client, link_in(mail_app.inbox, "owner@example.com"))
    assert response.headers["Location"] == "/dashboard"


def test_search_ranks_the_newest_matches_window_by_window_and_pages_reach_every_match(
        owner, client, named_key, make_key, monkeypatch):
    monkeypatch.setattr(search, "RANKED_WINDOW", 2)
    site, site_id = named_key("Site")
    other, _ = named_key("Other")
    for email, message in [("a@example.com", "visitor visitor visitor"), ("b@example.com", "visitor"),
                           ("c@example.com", "visitor"), ("d@example.com", "visitor visitor")]:
        send(client, site, {"email": email, "message": message})
    send(client, other, {"email": "e@example.com", "message": "visitor"})
    send(client, make_key("someone@example.com", "secret"), {"email": "theirs@example.com", "message": "visitor " * 5})
    # Windows of 2, newest first: (e, d) ranked → d, e; (c, b) tie → newest first; (a).
    assert senders_on(owner.get("/dashboard/inbox?q=visitor")) == [
        "d@example.com", "e@example.com", "c@example.com", "b@example.com", "a@example.com"]
    one_by_one = [senders_on(owner.get(f"/dashboard/inbox?q=visitor&page_size=1&page={n}")) for n in range(1, 7)]
    assert one_by_one == [["d@example.com"], ["e@example.com"], ["c@example.com"], ["b@example.com"],
                          ["a@example.com"], []]
    # Filters choose the candidates before they are ranked: e is not Site's, so (d, c) and (b, a) are the windows.
    assert senders_on(owner.get(f"/dashboard/inbox?q=visitor&key={site_id}")) == [
        "d@example.com", "c@example.com", "a@example.com", "b@example.com"]


def test_search_pages_show_every_match_once_however_long_the_older_windows_are(owner, client, named_key, monkeypatch):
    """A window's order must not depend on the page asked for: long older matches (a later window) once
    changed how the newest window ranked, so paging repeated one match and never showed another."""
    monkeypatch.setattr(search, "RANKED_WINDOW", 2)
    site, _ = named_key("Site")
    for n in range(2):
        send(client, site, {"email": f"old{n}@example.com", "message": "kiwi " + "z" * 3000})
    send(client, site, {"email": "short@example.com", "message": "kiwi " + "y" * 50})
    send(client, site, {"email": "twice@example.com", "message": "kiwi kiwi " + "y" * 250})
    pages = [senders_on(owner.get(f"/dashboard/inbox?q=kiwi&page_size=1&page={n}")) for n in range(1, 6)]
    shown = [sender for page in pages for sender in page]
    assert sorted(shown) == ["old0@example.com", "old1@example.com", "short@example.com", "twice@example.com"]
    assert shown[:2] == senders_on(owner.get("/dashboard/inbox?q=kiwi"))[:2]


def test_search_rebuild_finds_submissions_again_after_their_rowids_changed(owner, client, app, named_key, runner):
    raw, _ = named_key("Site")
    send(client, raw, {"email": "ada@example.com", "message": "About the invoice"})
    send(client, raw, {"email": "bob@example.com", "message": "Hello"})
    with app.app_context():
        if db.engine.dialect.name == "sqlite":  # as a VACUUM or a restored copy may renumber them
            db.session.execute(db.text("UPDATE submissions SET rowid = rowid + 1000"))
            db.session.commit()
            assert senders_on(owner.get("/dashboard/inbox?q=invoice")) == []
        db.session.remove()
    result = runner.invoke(args=["search", "rebuild"])
    assert result.exit_code == 0 and "Search index rebuilt: 2 submissions." in result.output
    assert senders_on(owner.get("/dashboard/inbox?q=invoice")) == ["ada@example.com"]
    assert senders_on(owner.get("/dashboard/inbox?q=example.com")) == ["bob@example.com", "ada@example.com"]
