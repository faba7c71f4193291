"""CORS on POST /v1/contacts: any origin may ask; only an origin the key admits may read a success, and any
browser origin may read an error (4xx), so the page can tell its visitor why."""
import pytest

ALLOWED = "https://www.example.com"


def bearer(key, origin=None):
    headers = {"Authorization": f"Bearer {key}"}
    return {**headers, "Origin": origin} if origin else headers


@pytest.mark.parametrize("origin", ["https://www.example.com", "https://evil.net", "http://localhost:3000"])
def test_the_preflight_is_answered_for_any_origin(client, origin):
    response = client.options("/v1/contacts", headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    })
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == origin
    assert response.headers["Access-Control-Allow-Methods"] == "POST"
    assert {h.strip().lower() for h in response.headers["Access-Control-Allow-Headers"].split(",")} == {
        "authorization", "content-type"}
    assert "Origin" in response.headers["Vary"]
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_an_admitted_origin_may_read_the_answer(client, pub_key):
    response = client.post("/v1/contacts", json={"email": "a@example.com"}, headers=bearer(pub_key, ALLOWED))
    assert response.status_code == 201
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert "Origin" in response.headers["Vary"]
    assert "Retry-After" in response.headers["Access-Control-Expose-Headers"]


def test_an_admitted_origin_may_read_errors_too(client, pub_key):
    response = client.post("/v1/contacts", json={"email": "nope"}, headers=bearer(pub_key, ALLOWED))
    assert response.status_code == 400
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED


def test_another_origin_may_read_why_it_was_refused(client, pub_key, stored):
    response = client.post("/v1/contacts", json={"email": "a@example.com"}, headers=bearer(pub_key, "https://evil.net"))
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "domain_mismatch"
    assert response.headers["Access-Control-Allow-Origin"] == "https://evil.net"
    assert "Origin" in response.headers["Vary"]
    assert stored() == []


def test_a_success_is_never_readable_by_an_origin_the_key_does_not_admit(client, make_key):
    """A key locked to example.com, used with a Referer of example.com but an Origin of evil.net, is refused
    (Origin wins); an unlocked key's success is readable by any real origin, never by an opaque one."""
    locked = make_key(kind="publishable", domains=["example.com"])
    response = client.post("/v1/contacts", json={"email": "a@example.com"},
                           headers={**bearer(locked, "https://evil.net"), "Referer": "https://example.com/"})
    assert response.status_code == 403


def test_an_unrestricted_key_admits_every_real_origin_but_not_null(client, make_key):
    key = make_key(kind="publishable")
    anywhere = client.post("/v1/contacts", json={"email": "a@example.com"}, headers=bearer(key, "https://shop.test"))
    assert anywhere.headers["Access-Control-Allow-Origin"] == "https://shop.test"
    opaque = client.post("/v1/contacts", json={"email": "a@example.com"}, headers=bearer(key, "null"))
    assert opaque.status_code == 201 and "Access-Control-Allow-Origin" not in opaque.headers


@pytest.mark.parametrize("key", ["ck_pub_unknown", None])
def test_a_missing_or_bad_key_is_a_readable_error(client, key):
    headers = {"Origin": ALLOWED, **({"Authorization": f"Bearer {key}"} if key else {})}
    response = client.post("/v1/contacts", json={"email": "a@example.com"}, headers=headers)
    assert response.status_code == 401
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED


def test_nothing_cors_for_secret_keys(client, secret_key, auth):
    refused = client.post("/v1/contacts", json={"email": "a@example.com"}, headers=bearer(secret_key, ALLOWED))
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "secret_key_in_browser"
    created = client.post("/v1/contacts", json={"email": "a@example.com"}, headers=bearer(secret_key))
    assert created.status_code == 201
    assert "Access-Control-Allow-Origin" not in created.headers
    contact_id = created.get_json()["id"]
    for path in ["/v1/contacts", f"/v1/contacts/{contact_id}", f"/v1/contacts/{contact_id}/submissions"]:
        response = client.get(path, headers=bearer(secret_key, ALLOWED))
        assert response.status_code == 200 and "Access-Control-Allow-Origin" not in response.headers
        preflight = client.options(path, headers={"Origin": ALLOWED, "Access-Control-Request-Method": "GET"})
        assert "Access-Control-Allow-Origin" not in preflight.headers
        assert "GET" not in preflight.headers.get("Access-Control-Allow-Methods", "")


@pytest.mark.parametrize("path", ["/f/ck_pub_anything", "/submit", "/api/contact-api/"])
def test_every_form_door_answers_the_preflight(client, path):
    """A door's address also shows visitors a page on GET: its preflight must still be the CORS one."""
    preflight = client.options(path, headers={"Origin": ALLOWED, "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 204 and preflight.headers["Access-Control-Allow-Origin"] == ALLOWED
