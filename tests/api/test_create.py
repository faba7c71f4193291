"""POST /v1/contacts with JSON: create, upsert, validation; nothing stored on bad input."""
import json

import pytest

from contactapi.extensions import db
from contactapi.models import Contact, Submission


def stored(app):
    with app.app_context():
        return db.session.query(Contact).count(), db.session.query(Submission).count()


def test_create_returns_201_with_the_contact(client, auth):
    response = client.post("/v1/contacts", json={"email": "ada@example.com", "name": "Ada", "plan": "pro"}, headers=auth)
    assert response.status_code == 201
    body = response.get_json()
    assert list(body) == ["id", "email", "name", "plan", "created_at", "updated_at", "confirmed_at"]
    assert body["id"].startswith("con_") and len(body["id"]) >= 16
    assert body["id"][4:].isalnum() and body["id"][4:] == body["id"][4:].lower()
    assert body["email"] == "ada@example.com"
    assert body["created_at"].endswith("Z") and body["created_at"] == body["updated_at"]


def test_existing_email_updates_in_place(client, auth, app):
    first = client.post("/v1/contacts", json={"email": "ada@example.com", "name": "Ada", "plan": "pro"}, headers=auth)
    second = client.post("/v1/contacts", json={"email": "  ADA@Example.COM ", "plan": "enterprise", "city": "London"}, headers=auth)
    assert second.status_code == 200
    before, after = first.get_json(), second.get_json()
    assert after["id"] == before["id"]
    assert after["created_at"] == before["created_at"]
    assert after["updated_at"] >= before["updated_at"]
    assert after == {**before, "plan": "enterprise", "city": "London", "updated_at": after["updated_at"]}
    assert stored(app) == (1, 2)


def test_idna_spellings_are_one_contact(client, auth):
    first = client.post("/v1/contacts", json={"email": "jo@bücher.example"}, headers=auth).get_json()
    second = client.post("/v1/contacts", json={"email": "JO@xn--bcher-kva.example"}, headers=auth)
    assert second.status_code == 200
    assert second.get_json()["id"] == first["id"]
    assert first["email"] == "jo@bücher.example"


def test_fields_are_saved_as_sent(client, auth):
    fields = {"email": "a@example.com", "n": 1.5, "t": True, "z": None, "list": [1, "x"], "obj": {"a": {"b": 2}}}
    body = client.post("/v1/contacts", json=fields, headers=auth).get_json()
    assert {k: body[k] for k in fields if k != "email"} == {k: v for k, v in fields.items() if k != "email"}


def test_access_key_in_the_body_works_and_is_not_stored(client, secret_key):
    response = client.post("/v1/contacts", json={"email": "a@example.com", "access_key": secret_key})
    assert response.status_code == 201
    assert "access_key" not in response.get_json()


@pytest.mark.parametrize("body, message", [
    ({}, "email is required"),
    ({"name": "x"}, "email is required"),
    ({"email": ""}, "email is required"),
    ({"email": "   "}, "email is required"),
    ({"email": None}, "email is required"),
    ({"email": 5}, "email must be a string"),
    ({"email": "not-an-address"}, "email is not a valid email address"),
    ({"email": "a@b@example.com"}, "email is not a valid email address"),
    ({"email": "a@example.com", "id": "con_x"}, "id is read-only"),
    ({"email": "a@example.com", "created_at": "x"}, "created_at is read-only"),
    ({"email": "a@example.com", "updated_at": None}, "updated_at is read-only"),
])
def test_invalid_bodies_get_400_and_store_nothing(client, auth, app, body, message):
    response = client.post("/v1/contacts", json=body, headers=auth)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["message"].startswith(message) and error["code"]
    assert stored(app) == (0, 0)


@pytest.mark.parametrize("raw", [
    b"[1, 2]", b'"email"', b"null", b"42", b"{", b'{"email": "a@example.com",}', b"",
    b'{"email": "a@example.com", "n": NaN}', b'{"email": "a@example.com", "n": Infinity}',
    b'{"email": "a@example.com", "n": -Infinity}', b'{"email": "a@example.com", "n": 1e999}',
    b'{"email": "a@example.com", "n": "\xff"}',
])
def test_malformed_json_gets_400(client, auth, app, raw):
    response = client.post("/v1/contacts", data=raw, content_type="application/json", headers=auth)
    assert response.status_code == 400
    assert set(response.get_json()["error"]) == {"message", "code"}
    assert stored(app) == (0, 0)


def nested(depth):
    """An object holding email whose deepest container is at `depth` (the body itself is 1)."""
    value = {}
    for _ in range(depth - 1):
        value = {"x": value}
    return {"email": "a@example.com", **value} if depth > 1 else {"email": "a@example.com"}


def test_nesting_of_16_is_accepted_and_17_refused(client, auth, app):
    assert client.post("/v1/contacts", json=nested(16), headers=auth).status_code == 201
    response = client.post("/v1/contacts", json=nested(17), headers=auth)
    assert response.status_code == 400
    assert "deeper than 16" in response.get_json()["error"]["message"]


def test_pathological_nesting_is_400_not_500(client, auth, app):
    raw = b'{"email": "a@example.com", "x": ' + b"[" * 30000 + b"]" * 30000 + b"}"
    response = client.post("/v1/contacts", data=raw, content_type="application/json", headers=auth)
    assert response.status_code == 400
    assert stored(app) == (0, 0)


def test_body_over_64_kib_gets_413(client, auth, app):
    raw = json.dumps({"email": "a@example.com", "blob": "x" * (64 * 1024)})
    response = client.post("/v1/contacts", data=raw, content_type="application/json", headers=auth)
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "payload_too_large"
    assert stored(app) == (0, 0)


def test_body_just_under_the_limit_is_accepted(client, auth):
    raw = json.dumps({"email": "a@example.com", "blob": "x" * (64 * 1024 - 100)})
    assert len(raw) <= 64 * 1024
    assert client.post("/v1/contacts", data=raw, content_type="application/json", headers=auth).status_code == 201


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", None])
def test_other_media_types_get_415(client, auth, app, content_type):
    response = client.post("/v1/contacts", data='{"email": "a@example.com"}', content_type=content_type, headers=auth)
    assert response.status_code == 415
    assert response.get_json()["error"]["code"] == "unsupported_media_type"
    assert stored(app) == (0, 0)


def test_json_with_charset_is_json(client, auth):
    response = client.post("/v1/contacts", data='{"email": "a@example.com"}',
                           content_type="application/json; charset=utf-8", headers=auth)
    assert response.status_code == 201


def test_every_post_is_kept_as_a_submission(client, auth):
    contact = client.post("/v1/contacts", json={"email": "a@example.com", "plan": "pro"}, headers=auth).get_json()
    client.post("/v1/contacts", json={"email": "a@example.com", "plan": "free"}, headers=auth)
    page = client.get(f"/v1/contacts/{contact['id']}/submissions", headers=auth).get_json()
    assert page["total"] == 2 and page["total_pages"] == 1
    assert [s["fields"]["plan"] for s in page["data"]] == ["free", "pro"]
    first = page["data"][1]
    assert first["contact_id"] == contact["id"] and first["key_id"].startswith("key_")
    assert first["fields"] == {"email": "a@example.com", "plan": "pro"}
    assert first["created_at"].endswith("Z")
