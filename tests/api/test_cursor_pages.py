"""Cursor pages (limit, starting_after, ending_before) of contacts, submissions and webhook deliveries:
keyset walks on (created_at, id) with no duplicates or gaps, even among rows of the same instant."""
from datetime import datetime

import pytest

from contactapi import contacts as contacts_module
from contactapi.deliveries.models import Webhook
from contactapi.extensions import db

ONE_INSTANT = datetime(2026, 1, 2, 10, 30, 0)


def create(client, auth, email, **fields):
    response = client.post("/v1/contacts", json={"email": email, **fields}, headers=auth)
    assert response.status_code in (200, 201)
    return response.get_json()


def walk_forward(client, auth, path, limit):
    """Every page from the newest, following starting_after; returns the pages' ids."""
    pages, after = [], None
    while True:
        query = f"limit={limit}" + (f"&starting_after={after}" if after else "")
        body = client.get(f"{path}?{query}", headers=auth).get_json()
        pages.append([item["id"] for item in body["data"]])
        if not body["has_more"]:
            return pages
        after = body["data"][-1]["id"]


def walk_backward(client, auth, path, limit, oldest_id):
    """Every page from the one just newer than oldest_id up to the newest, following ending_before."""
    pages, before = [], oldest_id
    while True:
        body = client.get(f"{path}?limit={limit}&ending_before={before}", headers=auth).get_json()
        pages.insert(0, [item["id"] for item in body["data"]])
        if not body["has_more"]:
            return pages
        before = body["data"][0]["id"]


@pytest.fixture
def same_instant(monkeypatch):
    """Every contact and submission written from now on carries the same created_at."""
    monkeypatch.setattr(contacts_module, "utcnow", lambda: ONE_INSTANT)


def stored_newest_first(app):
    with app.app_context():
        return [row.id for row in db.session.execute(
            db.select(contacts_module.contacts.c.id).order_by(*contacts_module.NEWEST_FIRST))]


@pytest.mark.parametrize("limit", [1, 3, 7, 100])
def test_walks_every_contact_once_forward_and_backward_among_ties(client, auth, app, same_instant, limit):
    for i in range(17):
        create(client, auth, f"t{i}@example.com", i=i)
    expected = stored_newest_first(app)
    forward = walk_forward(client, auth, "/v1/contacts", limit)
    assert [i for page in forward for i in page] == expected
    assert all(len(page) == limit for page in forward[:-1]) and forward[-1]
    backward = walk_backward(client, auth, "/v1/contacts", limit, expected[-1])
    assert [i for page in backward for i in page] == expected[:-1]
    if limit < 16:  # the first page backward is the newest limit, just like the first forward page
        assert backward[-1] == expected[-1 - limit:-1] and backward[0] == expected[:len(backward[0])]


def test_the_first_cursor_page_and_its_shape(client, auth):
    made = [create(client, auth, f"s{i}@example.com", n=i) for i in range(3)]
    body = client.get("/v1/contacts?limit=2", headers=auth).get_json()
    assert body == {"data": [made[2], made[1]], "has_more": True}
    last = client.get(f"/v1/contacts?limit=2&starting_after={made[1]['id']}", headers=auth).get_json()
    assert last == {"data": [made[0]], "has_more": False}
    newer = client.get(f"/v1/contacts?limit=5&ending_before={made[0]['id']}", headers=auth).get_json()
    assert newer == {"data": [made[2], made[1]], "has_more": False}
    assert client.get(f"/v1/contacts?ending_before={made[2]['id']}", headers=auth).get_json() == {
        "data": [], "has_more": False}


def test_inserts_during_a_walk_neither_repeat_nor_hide_the_rows_walked(client, auth, app, same_instant):
    for i in range(12):
        create(client, auth, f"w{i}@example.com")
    before = stored_newest_first(app)
    seen, after, extra = [], None, 0
    while True:
        body = client.get("/v1/contacts?limit=4" + (f"&starting_after={after}" if after else ""),
                          headers=auth).get_json()
        seen += [c["id"] for c in body["data"]]
        for _ in range(3):  # newcomers of the same instant land anywhere in the id order
            create(client, auth, f"new{extra}@example.com")
            extra += 1
        if not body["has_more"]:
            break
        after = body["data"][-1]["id"]
    assert len(seen) == len(set(seen))
    assert set(before) <= set(seen)
    assert seen == [i for i in stored_newest_first(app) if i in set(seen)]  # still in order


@pytest.mark.parametrize("query", [
    "limit=2&page=1", "page_size=5&starting_after=con_x", "ending_before=con_x&page=2",
    "starting_after=con_a&ending_before=con_b", "limit=0", "limit=101", "limit=x", "starting_after=",
    "ending_before=", "starting_after=con_nope", "ending_before=con_nope",
])
def test_mixing_kinds_bad_limits_and_unknown_cursors_are_400(client, auth, query):
    create(client, auth, "m@example.com")
    response = client.get(f"/v1/contacts?{query}", headers=auth)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_query"


def test_another_accounts_contact_as_cursor_is_an_unknown_cursor(client, auth, make_key):
    mine = create(client, auth, "mine@example.com")
    other = {"Authorization": f"Bearer {make_key('other@example.com')}"}
    theirs = create(client, other, "theirs@example.com", secret="s3cret")
    for name in ("starting_after", "ending_before"):
        foreign = client.get(f"/v1/contacts?{name}={theirs['id']}", headers=auth)
        unknown = client.get(f"/v1/contacts?{name}=con_doesnotexist", headers=auth)
        assert foreign.status_code == unknown.status_code == 400
        assert foreign.get_json() == unknown.get_json()
        assert "s3cret" not in foreign.get_data(as_text=True)
    assert client.get("/v1/contacts?limit=5", headers=auth).get_json()["data"] == [mine]


def test_numbered_pages_are_unchanged(client, auth):
    create(client, auth, "n@example.com")
    body = client.get("/v1/contacts?page=1&page_size=5", headers=auth).get_json()
    assert body["total"] == 1 and "has_more" not in body


def test_email_filter_with_a_cursor(client, auth):
    ada = create(client, auth, "ada@example.com")
    create(client, auth, "bob@example.com")
    assert client.get("/v1/contacts?limit=5&email=ADA@example.com", headers=auth).get_json() == {
        "data": [ada], "has_more": False}


def test_a_contacts_submissions_walk_among_ties(client, auth, same_instant):
    for i in range(7):
        contact = create(client, auth, "sub@example.com", n=i)
    path = f"/v1/contacts/{contact['id']}/submissions"
    numbered = [s["id"] for s in client.get(f"{path}?page_size=100", headers=auth).get_json()["data"]]
    assert len(numbered) == 7
    forward = walk_forward(client, auth, path, 3)
    assert [i for page in forward for i in page] == numbered
    backward = walk_backward(client, auth, path, 3, numbered[-1])
    assert [i for page in backward for i in page] == numbered[:-1]
    assert client.get(f"{path}?limit=2&page=1", headers=auth).status_code == 400
    other = create(client, auth, "other@example.com")
    other_submission = client.get(f"/v1/contacts/{other['id']}/submissions", headers=auth).get_json()["data"][0]
    refused = client.get(f"{path}?starting_after={other_submission['id']}", headers=auth)
    assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "invalid_query"


def test_webhook_deliveries_walk_both_ways(client, auth, app):
    from contactapi.deliveries import endpoints

    webhook = client.post("/v1/webhooks", json={"url": "https://example.com/h", "events": ["contact.created"]},
                          headers=auth).get_json()
    with app.test_request_context():
        account_id = db.session.get(Webhook, webhook["id"]).account_id
        sent = [endpoints.send_test(account_id, webhook["id"]) for _ in range(5)]
    path = f"/v1/webhooks/{webhook['id']}/deliveries"
    assert [i for page in walk_forward(client, auth, path, 2) for i in page] == sent[::-1]
    assert [i for page in walk_backward(client, auth, path, 2, sent[0]) for i in page] == sent[:0:-1]
    for query in ("limit=2&starting_after=msg_nope", "starting_after=a&ending_before=b", "ending_before="):
        response = client.get(f"{path}?{query}", headers=auth)
        assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_query"
