"""GET list/one, PATCH, DELETE, submissions: shapes, page maths, merge patch, 404s."""
import pytest


def create(client, auth, email, **fields):
    response = client.post("/v1/contacts", json={"email": email, **fields}, headers=auth)
    assert response.status_code == 201
    return response.get_json()


def test_empty_list(client, auth):
    assert client.get("/v1/contacts", headers=auth).get_json() == {
        "data": [], "page": 1, "page_size": 20, "total": 0, "total_pages": 0,
    }


def test_list_is_newest_first_with_page_maths(client, auth):
    made = [create(client, auth, f"p{i}@example.com", i=i) for i in range(7)]
    newest_first = [c["id"] for c in reversed(made)]
    page1 = client.get("/v1/contacts?page=1&page_size=3", headers=auth).get_json()
    assert (page1["total"], page1["total_pages"], page1["page"], page1["page_size"]) == (7, 3, 1, 3)
    pages = [client.get(f"/v1/contacts?page={n}&page_size=3", headers=auth).get_json()["data"] for n in (1, 2, 3)]
    assert [c["id"] for page in pages for c in page] == newest_first
    assert len(pages[2]) == 1
    past = client.get("/v1/contacts?page=4&page_size=3", headers=auth)
    assert past.status_code == 200 and past.get_json()["data"] == [] and past.get_json()["total"] == 7
    assert client.get("/v1/contacts?page=99999999&page_size=100", headers=auth).get_json()["data"] == []


def test_default_page_size_is_20_and_100_is_the_most(client, auth):
    for i in range(21):
        create(client, auth, f"d{i}@example.com")
    assert len(client.get("/v1/contacts", headers=auth).get_json()["data"]) == 20
    assert len(client.get("/v1/contacts?page_size=100", headers=auth).get_json()["data"]) == 21


@pytest.mark.parametrize("query", [
    "page=0", "page=-1", "page=abc", "page=1.5", "page=", "page=%201", "page=+1", "page=99999999999999999999",
    "page_size=0", "page_size=101", "page_size=x", "page_size=-5", "page_size=",
])
def test_bad_page_numbers_get_400(client, auth, query):
    response = client.get(f"/v1/contacts?{query}", headers=auth)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_query"


def test_email_filter(client, auth):
    ada = create(client, auth, "ada@example.com")
    create(client, auth, "bob@example.com")
    page = client.get("/v1/contacts?email=ADA@example.com", headers=auth).get_json()
    assert [c["id"] for c in page["data"]] == [ada["id"]] and page["total"] == 1 and page["total_pages"] == 1
    none = client.get("/v1/contacts?email=nobody@example.com", headers=auth).get_json()
    assert none["data"] == [] and none["total"] == 0
    assert client.get("/v1/contacts?email=not-an-email", headers=auth).status_code == 400


def test_get_one(client, auth):
    ada = create(client, auth, "ada@example.com", name="Ada")
    response = client.get(f"/v1/contacts/{ada['id']}", headers=auth)
    assert response.status_code == 200 and response.get_json() == ada
    missing = client.get("/v1/contacts/con_doesnotexist00", headers=auth)
    assert missing.status_code == 404
    assert missing.get_json() == {"error": {"message": "No contact with that id.", "code": "not_found"}}


def test_patch_changes_only_what_is_sent(client, auth):
    ada = create(client, auth, "ada@example.com", name="Ada", plan="pro", address={"city": "London", "zip": "N1"})
    response = client.patch(f"/v1/contacts/{ada['id']}", json={"plan": "enterprise"}, headers=auth)
    assert response.status_code == 200
    body = response.get_json()
    assert body == {**ada, "plan": "enterprise", "updated_at": body["updated_at"]}
    assert body["created_at"] == ada["created_at"]
    assert client.get(f"/v1/contacts/{ada['id']}", headers=auth).get_json() == body


def test_patch_null_removes_and_objects_merge(client, auth):
    ada = create(client, auth, "ada@example.com", name="Ada", plan="pro", address={"city": "London", "zip": "N1"})
    body = client.patch(f"/v1/contacts/{ada['id']}", json={"name": None, "address": {"zip": None, "street": "High St"}},
                        headers=auth).get_json()
    assert "name" not in body
    assert body["address"] == {"city": "London", "street": "High St"}
    assert body["plan"] == "pro"


def test_patch_email(client, auth):
    ada = create(client, auth, "ada@example.com")
    bob = create(client, auth, "bob@example.com")
    moved = client.patch(f"/v1/contacts/{ada['id']}", json={"email": " Ada.L@Example.com"}, headers=auth)
    assert moved.status_code == 200 and moved.get_json()["email"] == "ada.l@example.com"
    taken = client.patch(f"/v1/contacts/{ada['id']}", json={"email": "BOB@example.com"}, headers=auth)
    assert taken.status_code == 409 and taken.get_json()["error"]["code"] == "email_taken"
    same = client.patch(f"/v1/contacts/{bob['id']}", json={"email": "Bob@example.com"}, headers=auth)
    assert same.status_code == 200
    for bad in (None, "", "nope", 7):
        response = client.patch(f"/v1/contacts/{ada['id']}", json={"email": bad}, headers=auth)
        assert response.status_code == 400, bad
    assert client.get(f"/v1/contacts/{ada['id']}", headers=auth).get_json()["email"] == "ada.l@example.com"
    # the new address is the upsert key from now on
    again = client.post("/v1/contacts", json={"email": "ada.l@example.com", "x": 1}, headers=auth)
    assert again.status_code == 200 and again.get_json()["id"] == ada["id"]


@pytest.mark.parametrize("body", [{"id": "con_x"}, {"created_at": "2020-01-01T00:00:00Z"}, {"updated_at": None}])
def test_patch_read_only_fields_get_400(client, auth, body):
    ada = create(client, auth, "ada@example.com", name="Ada")
    response = client.patch(f"/v1/contacts/{ada['id']}", json=body, headers=auth)
    assert response.status_code == 400 and "is read-only" in response.get_json()["error"]["message"]
    assert client.get(f"/v1/contacts/{ada['id']}", headers=auth).get_json() == ada


@pytest.mark.parametrize("raw, content_type, status", [
    (b"[]", "application/json", 400), (b"{", "application/json", 400), (b'{"a": NaN}', "application/json", 400),
    (b'{"a": 1}', "text/plain", 415), (b"a=1", "application/x-www-form-urlencoded", 415),
])
def test_patch_bad_bodies(client, auth, raw, content_type, status):
    ada = create(client, auth, "ada@example.com")
    response = client.patch(f"/v1/contacts/{ada['id']}", data=raw, content_type=content_type, headers=auth)
    assert response.status_code == status


def test_patch_accepts_merge_patch_media_type(client, auth):
    ada = create(client, auth, "ada@example.com")
    response = client.patch(f"/v1/contacts/{ada['id']}", data='{"x": 1}', content_type="application/merge-patch+json",
                            headers=auth)
    assert response.status_code == 200 and response.get_json()["x"] == 1


def test_patch_unknown_id_is_404(client, auth):
    assert client.patch("/v1/contacts/con_nope00000000", json={"a": 1}, headers=auth).status_code == 404


def test_delete(client, auth):
    ada = create(client, auth, "ada@example.com")
    response = client.delete(f"/v1/contacts/{ada['id']}", headers=auth)
    assert response.status_code == 200 and response.get_json() == {"id": ada["id"], "deleted": True}
    assert client.delete(f"/v1/contacts/{ada['id']}", headers=auth).status_code == 404
    assert client.get(f"/v1/contacts/{ada['id']}", headers=auth).status_code == 404
    assert client.get(f"/v1/contacts/{ada['id']}/submissions", headers=auth).status_code == 404
    listing = client.get("/v1/contacts", headers=auth).get_json()
    assert listing["total"] == 0 and listing["data"] == []
    recreated = client.post("/v1/contacts", json={"email": "ada@example.com"}, headers=auth)
    assert recreated.status_code == 201 and recreated.get_json()["id"] != ada["id"]


def test_submissions_are_paginated(client, auth):
    ada = create(client, auth, "ada@example.com", n=0)
    for n in range(1, 5):
        client.post("/v1/contacts", json={"email": "ada@example.com", "n": n}, headers=auth)
    page = client.get(f"/v1/contacts/{ada['id']}/submissions?page=2&page_size=2", headers=auth).get_json()
    assert (page["total"], page["total_pages"], page["page"]) == (5, 3, 2)
    assert [s["fields"]["n"] for s in page["data"]] == [2, 1]
    assert client.get(f"/v1/contacts/{ada['id']}/submissions?page=0", headers=auth).status_code == 400


def test_every_read_shows_a_contact_the_same_way(client, auth, app):
    """By id, the numbered list, cursor pages and the filtered lists (each read its own way) agree to the byte."""
    from datetime import datetime

    from contactapi.extensions import db
    from contactapi.models import Contact

    create(client, auth, "ada@example.com", name="Ada", nested={"b": 1, "a": [1, None]}, note="é ✓ \u2028", n=1.5)
    create(client, auth, "bob@example.com", z=None, a=2)
    with app.app_context():  # bob pressed the double opt-in button
        db.session.execute(db.update(Contact).where(Contact.email == "bob@example.com")
                           .values(confirmed_at=datetime(2026, 1, 2, 3, 4, 5, 678901)))
        db.session.commit()
        db.session.remove()

    def items(query):
        response = client.get(f"/v1/contacts?{query}", headers=auth)
        assert response.status_code == 200
        return response.get_json()["data"]

    listing = items("page=1")
    newer, older = listing
    by_id = [client.get(f"/v1/contacts/{c['id']}", headers=auth) for c in listing]
    assert [r.get_json() for r in by_id] == listing
    assert {c["email"]: c["confirmed_at"] for c in listing} == {"bob@example.com": "2026-01-02T03:04:05.678Z",
                                                                 "ada@example.com": None}
    assert items("limit=5") == listing == items("page=1&page_size=1") + items("page=2&page_size=1")
    assert items(f"limit=5&starting_after={newer['id']}") == [older]
    assert items(f"limit=5&ending_before={older['id']}") == [newer]
    bob, ada = (newer, older) if newer["email"] == "bob@example.com" else (older, newer)
    assert items("limit=5&confirmed=true") == items("confirmed=true") == [bob]
    assert items("limit=5&confirmed=false") == items("confirmed=false") == [ada]
    assert items("limit=5&email=ada@example.com") == items("email=ada@example.com") == [ada]
    ada_raw = client.get(f"/v1/contacts/{ada['id']}", headers=auth).get_data()
    assert ada_raw.decode() == (
        f'{{"id":"{ada["id"]}","email":"ada@example.com","name":"Ada","nested":{{"b":1,"a":[1,null]}},'
        f'"note":"\\u00e9 \\u2713 \\u2028","n":1.5,"created_at":"{ada["created_at"]}",'
        f'"updated_at":"{ada["updated_at"]}","confirmed_at":null}}\n')
    path = f"/v1/contacts/{ada['id']}/submissions"
    numbered = client.get(f"{path}?page_size=5", headers=auth).get_json()["data"]
    assert client.get(f"{path}?limit=5", headers=auth).get_json() == {"data": numbered, "has_more": False}


def test_changing_the_email_resets_the_confirmation_and_keeping_it_does_not(client, auth, app):
    """Double opt-in proves an address: a PATCH to another one leaves the contact unconfirmed, as stored."""
    from datetime import datetime

    from contactapi.extensions import db
    from contactapi.models import Contact

    kept = create(client, auth, "kept@example.com")
    moved = create(client, auth, "old@example.com")
    with app.app_context():  # both pressed the double opt-in button
        db.session.execute(db.update(Contact).values(confirmed_at=datetime(2026, 1, 2, 3, 4, 5)))
        db.session.commit()
        db.session.remove()

    same = client.patch(f"/v1/contacts/{kept['id']}", json={"email": "KEPT@example.com", "plan": "pro"}, headers=auth)
    changed = client.patch(f"/v1/contacts/{moved['id']}", json={"email": "new@example.com"}, headers=auth)

    assert same.status_code == 200 and same.get_json()["confirmed_at"] == "2026-01-02T03:04:05.000Z"
    assert changed.status_code == 200 and changed.get_json()["confirmed_at"] is None
    with app.app_context():
        stored = dict(db.session.execute(db.select(Contact.email, Contact.confirmed_at)).all())
        db.session.remove()
    assert stored == {"kept@example.com": datetime(2026, 1, 2, 3, 4, 5), "new@example.com": None}
    assert client.get(f"/v1/contacts/{moved['id']}", headers=auth).get_json()["confirmed_at"] is None
    assert [c["email"] for c in client.get("/v1/contacts?confirmed=true", headers=auth).get_json()["data"]] == [
        "kept@example.com"]
