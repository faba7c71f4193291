"""Keys on /v1: the identical 401, publishable keys only create, and no leaks across accounts."""
import pytest

from contactapi import keys
from contactapi.extensions import db
from contactapi.models import ApiKey

INVALID = {"error": {"message": "Invalid API key.", "code": "invalid_api_key"}}


def endpoints(contact_id="con_aaaaaaaaaaaa"):
    return [
        ("post", "/v1/contacts", {"email": "x@example.com"}),
        ("get", "/v1/contacts", None),
        ("get", f"/v1/contacts/{contact_id}", None),
        ("patch", f"/v1/contacts/{contact_id}", {"a": 1}),
        ("delete", f"/v1/contacts/{contact_id}", None),
        ("get", f"/v1/contacts/{contact_id}/submissions", None),
    ]


def call(client, method, path, body, key):
    headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
    return getattr(client, method)(path, json=body, headers=headers)


def test_missing_key_is_401(client):
    for method, path, body in endpoints():
        response = call(client, method, path, body, None)
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "missing_api_key"


def test_unknown_malformed_disabled_and_deleted_keys_get_the_same_401(app, client, make_key):
    disabled, deleted = make_key("d@example.com"), make_key("e@example.com")
    with app.app_context():
        keys.set_status(db.session.scalar(db.select(ApiKey).filter_by(digest=keys.digest(disabled))), "disabled")
        db.session.execute(db.delete(ApiKey).filter_by(digest=keys.digest(deleted)))
        db.session.commit()
    bad_keys = [disabled, deleted, "ck_secret_" + "A" * 32, "ck_pub_" + "b" * 32, "nonsense", "", "ck_secret_"]
    bodies = set()
    for key in bad_keys:
        for method, path, body in endpoints():
            response = call(client, method, path, body, key)
            assert response.status_code == 401, (key, method, path)
            bodies.add(response.get_data())
    assert len(bodies) == 1 and INVALID == __import__("json").loads(bodies.pop())


def test_non_bearer_authorization_is_invalid(client, secret_key):
    response = client.get("/v1/contacts", headers={"Authorization": f"Basic {secret_key}"})
    assert response.status_code == 401 and response.get_json() == INVALID


def test_re_enabled_key_works_again(app, client, secret_key):
    headers = {"Authorization": f"Bearer {secret_key}"}
    with app.app_context():
        key = db.session.scalar(db.select(ApiKey).filter_by(digest=keys.digest(secret_key)))
        keys.set_status(key, "disabled")
    assert client.get("/v1/contacts", headers=headers).status_code == 401
    with app.app_context():
        keys.set_status(db.session.get(ApiKey, key.id), "active")
    assert client.get("/v1/contacts", headers=headers).status_code == 200


def test_publishable_key_can_only_create(client, make_key, auth):
    publishable = make_key(kind="publishable")
    contact = client.post("/v1/contacts", json={"email": "x@example.com"},
                          headers={"Authorization": f"Bearer {publishable}"})
    assert contact.status_code == 201
    for method, path, body in endpoints(contact.get_json()["id"])[1:]:
        response = call(client, method, path, body, publishable)
        assert response.status_code == 403
        assert response.get_json()["error"]["code"] == "secret_key_required"
    assert client.get("/v1/contacts", headers=auth).get_json()["total"] == 1


def test_secret_keys_are_stored_only_as_digest(app, secret_key):
    with app.app_context():
        key = db.session.scalar(db.select(ApiKey))
        assert key.digest == keys.digest(secret_key) and key.public_value is None
        assert key.display == f"ck_secret_…{secret_key[-4:]}"
        assert secret_key not in repr([getattr(key, c.name) for c in ApiKey.__table__.columns])


def test_keys_are_long_and_random(make_key):
    raw = {make_key(f"k{i}@example.com") for i in range(5)}
    assert len(raw) == 5
    assert all(len(k) - len("ck_secret_") >= 32 for k in raw)  # 32 of 62 symbols: about 190 bits


@pytest.fixture
def two_accounts(client, make_key):
    mine = {"Authorization": f"Bearer {make_key('me@example.com')}"}
    theirs = {"Authorization": f"Bearer {make_key('them@example.com')}"}
    contact = client.post("/v1/contacts", json={"email": "shared@example.com", "who": "them"}, headers=theirs).get_json()
    return mine, theirs, contact


def test_another_accounts_contact_is_404_for_every_verb(client, two_accounts):
    mine, theirs, contact = two_accounts
    path = f"/v1/contacts/{contact['id']}"
    assert client.get(path, headers=mine).status_code == 404
    assert client.patch(path, json={"who": "me"}, headers=mine).status_code == 404
    assert client.delete(path, headers=mine).status_code == 404
    assert client.get(path + "/submissions", headers=mine).status_code == 404
    assert client.get(path, headers=theirs).get_json() == contact


def test_same_email_in_two_accounts_is_two_contacts(client, two_accounts):
    mine, theirs, contact = two_accounts
    created = client.post("/v1/contacts", json={"email": "shared@example.com", "who": "me"}, headers=mine)
    assert created.status_code == 201 and created.get_json()["id"] != contact["id"]
    assert client.get("/v1/contacts", headers=mine).get_json()["total"] == 1
    assert client.get("/v1/contacts?email=shared@example.com", headers=theirs).get_json()["data"] == [contact]
