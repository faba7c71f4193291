"""POST /v1/contacts's answer shapes for the submit flow's rules (issue 8 items 1, 2, 5, 7, 8, 11, 13)."""
import socket
from urllib.parse import urlsplit

import pytest

from contactapi.extensions import db
from contactapi.models import Contact, Submission

SITE = "https://example.com"


def stored(app):
    with app.app_context():
        result = db.session.query(Contact).count(), db.session.query(Submission).count()
        db.session.remove()
    return result


@pytest.fixture
def pub(make_key):
    return make_key(kind="publishable", domains=["example.com"])


def public(client, key, body, **headers):
    return client.post("/v1/contacts", json=body, headers={"Authorization": f"Bearer {key}", "Origin": SITE, **headers})


RAW_SURROGATES = [
    b'{"email": "s@x.com", "m": "\\ud800"}',
    b'{"email": "s@x.com", "\\udfff": "key"}',
    b'{"email": "s@x.com", "list": ["ok", {"deep": "\\udc00x"}]}',
    b'{"email": "s@x.com", "a\\u0000b": "NUL in a name"}',
]


@pytest.mark.parametrize("raw", RAW_SURROGATES)
def test_text_that_cannot_be_utf8_is_invalid_text(app, client, auth, raw):
    """Item 1: refused at the door, nothing stored (it broke the dashboard, exports and mail before)."""
    response = client.post("/v1/contacts", data=raw, content_type="application/json", headers=auth)
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_text"
    assert stored(app) == (0, 0)


def test_patch_reads_through_the_same_reader(app, client, auth):
    contact = client.post("/v1/contacts", json={"email": "a@example.com"}, headers=auth).get_json()
    response = client.patch(f"/v1/contacts/{contact['id']}", data=RAW_SURROGATES[0].replace(b'"email": "s@x.com", ', b""),
                            content_type="application/json", headers=auth)
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_text"
    assert client.get(f"/v1/contacts/{contact['id']}", headers=auth).get_json() == contact


def test_the_codefreeform_door_reads_through_the_same_reader(app, client, pub):
    raw = b'{"access_key": "%s", "email": "s@x.com", "message": "\\ud800"}' % pub.encode()
    response = client.post("/api/contact-api/", data=raw, content_type="application/json", headers={"Origin": SITE})
    assert response.status_code == 400 and response.get_json()["success"] is False
    assert stored(app) == (0, 0)


def test_a_publishable_key_gets_one_answer_for_new_and_existing_addresses(client, pub, auth):
    """Item 5: 201 with id, email and the fields sent, no timestamps, whether or not the address is known."""
    client.post("/v1/contacts", json={"email": "known@example.com", "phone": "123"}, headers=auth)
    new = public(client, pub, {"email": "new@example.com", "m": "Hi"})
    known = public(client, pub, {"email": "Known@example.com", "m": "Hi"})
    assert new.status_code == known.status_code == 201
    assert set(new.get_json()) == set(known.get_json()) == {"id", "email", "m"}
    assert known.get_json()["email"] == "known@example.com"
    full = client.get(f"/v1/contacts/{known.get_json()['id']}", headers=auth).get_json()
    assert full["phone"] == "123" and full["m"] == "Hi"  # what is stored is merged as always


def test_secret_keys_keep_201_200_and_the_whole_contact(client, auth):
    first = client.post("/v1/contacts", json={"email": "a@example.com", "x": 1}, headers=auth)
    again = client.post("/v1/contacts", json={"email": "a@example.com", "y": 2}, headers=auth)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["x"] == 1 and again.get_json()["created_at"] == first.get_json()["created_at"]


def test_a_contact_over_the_cap_is_413_with_a_secret_key(make_app, secret_key):
    """Item 2 on the wire; the flow's own tests cover the publishable case and the retention."""
    app = make_app(MAX_CONTACT_FIELDS=3)
    client, auth = app.test_client(), {"Authorization": f"Bearer {secret_key}"}
    assert client.post("/v1/contacts", json={"email": "a@example.com", "a": 1, "b": 2}, headers=auth).status_code == 201
    response = client.post("/v1/contacts", json={"email": "a@example.com", "c": 3, "d": 4}, headers=auth)
    assert response.status_code == 413 and response.get_json()["error"]["code"] == "contact_too_large"
    assert {k: v for k, v in client.get("/v1/contacts", headers=auth).get_json()["data"][0].items()
            if len(k) == 1} == {"a": 1, "b": 2}


def test_a_patch_that_would_grow_a_contact_over_the_cap_is_413_and_changes_nothing(make_app, secret_key):
    """The cap holds after a merge patch too: fields a patch adds count, fields it removes free room."""
    app = make_app(MAX_CONTACT_FIELDS=3, MAX_CONTACT_BYTES=200)
    client, auth = app.test_client(), {"Authorization": f"Bearer {secret_key}"}
    contact = client.post("/v1/contacts", json={"email": "a@example.com", "a": 1, "b": 2}, headers=auth).get_json()
    url = f"/v1/contacts/{contact['id']}"
    for too_much in ({"c": 3, "d": 4}, {"c": "x" * 200}):
        response = client.patch(url, json=too_much, headers=auth)
        assert response.status_code == 413 and response.get_json()["error"]["code"] == "contact_too_large"
        assert {k: v for k, v in client.get(url, headers=auth).get_json().items() if len(k) == 1} == {"a": 1, "b": 2}
    swapped = client.patch(url, json={"a": None, "c": 3, "d": 4}, headers=auth)  # one out, two in: three fields
    assert swapped.status_code == 200
    assert {k: v for k, v in client.get(url, headers=auth).get_json().items() if len(k) == 1} == {"b": 2, "c": 3, "d": 4}


def test_growing_a_contact_with_a_publishable_key_answers_as_usual(make_app, make_key, secret_key):
    app = make_app(MAX_CONTACT_FIELDS=3)
    client, key = app.test_client(), make_key(kind="publishable", domains=["example.com"])
    client.post("/v1/contacts", json={"email": "a@example.com", "a": 1, "b": 2},
                headers={"Authorization": f"Bearer {secret_key}"})
    response = public(client, key, {"email": "a@example.com", "c": 3, "d": 4})
    assert response.status_code == 201 and set(response.get_json()) == {"id", "email", "c", "d"}
    assert stored(app) == (1, 2)


@pytest.mark.parametrize("name", ["_next", "success_url", "redirect"])
def test_a_line_break_in_a_target_is_the_thank_you_page(app, client, pub, name):
    """Item 7: it was a 500 after storing."""
    response = client.post("/v1/contacts", data={"access_key": pub, "email": "a@example.com",
                                                 name: "https://example.com/ok\r\nSet-Cookie: a=b"},
                           headers={"Origin": SITE, "Accept": "text/html"})
    assert response.status_code == 303 and response.headers["Location"].startswith("/thanks")
    assert stored(app) == (1, 1)


def test_a_line_break_in_an_error_url_is_the_error_page(app, client, pub):
    response = client.post("/v1/contacts", data={"access_key": pub, "email": "nope",
                                                 "error_url": "https://example.com/e\nX: y"},
                           headers={"Origin": SITE, "Accept": "text/html"})
    assert response.status_code == 400 and response.mimetype == "text/html"


@pytest.mark.parametrize("how", ["form", "browser origin"])
def test_a_secret_key_from_a_browser_is_refused(app, client, secret_key, how):
    """Item 13: a secret key in a form body, or with a browser Origin, is 403 secret_key_in_browser."""
    if how == "form":
        response = client.post("/v1/contacts", data={"access_key": secret_key, "email": "a@example.com"},
                               headers={"Accept": "application/json"})
    else:
        response = client.post("/v1/contacts", json={"email": "a@example.com"},
                               headers={"Authorization": f"Bearer {secret_key}", "Origin": "https://any.site"})
    assert response.status_code == 403
    error = response.get_json()["error"]
    assert error["code"] == "secret_key_in_browser" and "publishable key" in error["message"]
    assert stored(app) == (0, 0)


def test_malformed_bodies_are_rate_limited_too(make_app):
    """Item 11: every request to a public door counts against its IP before its body is judged."""
    client = make_app(RATELIMIT_PUBLIC_IP="5/minute").test_client()
    statuses = [client.post("/v1/contacts", data=b"{" + b"x" * 50_000, content_type="application/json").status_code
                for _ in range(7)]
    assert statuses == [400] * 5 + [429, 429]
    codefreeform = client.post("/api/contact-api/", data=b"{", content_type="application/json")
    assert codefreeform.status_code == 429 and codefreeform.get_json()["success"] is False


def chunked_post(base, path, body, content_type, headers=()):
    """POST body with Transfer-Encoding: chunked (no Content-Length) over a raw socket; the status code."""
    address = urlsplit(base)
    with socket.create_connection((address.hostname, address.port), timeout=10) as connection:
        head = [f"POST {path} HTTP/1.1", f"Host: {address.netloc}", f"Content-Type: {content_type}",
                "Transfer-Encoding: chunked", "Connection: close", *headers]
        connection.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        for start in range(0, len(body), 8192):
            chunk = body[start:start + 8192]
            connection.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        connection.sendall(b"0\r\n\r\n")
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return int(answer.split(b" ", 2)[1])


def test_a_chunked_body_over_64_kib_is_413_under_gunicorn(app, gunicorn, secret_key):
    """Item 8: it was cut at 64 KiB and stored truncated; now exactly as with Content-Length."""
    base = gunicorn(workers=1)
    auth = (f"Authorization: Bearer {secret_key}",)
    form = b"email=a%40example.com&message=" + b"x" * (70 * 1024)
    assert chunked_post(base, "/v1/contacts", form, "application/x-www-form-urlencoded", auth) == 413
    big_json = b'{"email": "a@example.com", "message": "' + b"x" * (70 * 1024) + b'"}'
    assert chunked_post(base, "/v1/contacts", big_json, "application/json", auth) == 413
    assert stored(app) == (0, 0)
    assert chunked_post(base, "/v1/contacts", big_json, "application/json", (*auth, "Idempotency-Key: big")) == 413
    assert stored(app) == (0, 0)
    small = b'{"email": "a@example.com", "message": "' + b"x" * 60_000 + b'"}'
    assert chunked_post(base, "/v1/contacts", small, "application/json", auth) == 201
    assert stored(app) == (1, 1)
    # With Idempotency-Key the body is read once for the fingerprint and the same bytes reach the view.
    for _ in range(2):
        once = b'{"email": "b@example.com", "message": "' + b"y" * 60_000 + b'"}'
        assert chunked_post(base, "/v1/contacts", once, "application/json", (*auth, "Idempotency-Key: k1")) == 201
    assert stored(app) == (2, 2)
