"""POST /f/<key>: Formspree's wire format on top of the submit flow (the rules themselves: tests/test_submit.py)."""
import pytest

from tests.forms.conftest import SITE

JSON = {"Accept": "application/json", "Origin": SITE}
BROWSER = {"Accept": "text/html", "Origin": SITE, "Referer": SITE + "/contact"}


def test_a_json_submission_answers_ok_and_next(client, pub_key, stored):
    response = client.post(f"/f/{pub_key}", json={"email": "Ada@Example.com", "message": "Hi"}, headers=JSON)
    assert response.status_code == 200
    body = response.get_json()
    assert body["ok"] is True and body["next"].startswith("http://localhost/thanks?k=key_")
    assert response.headers["Access-Control-Allow-Origin"] == SITE
    assert stored() == [("ada@example.com", {"message": "Hi"})]


def test_next_is_on_base_url_whatever_host_the_request_named(client, pub_key):
    response = client.post(f"/f/{pub_key}", json={"email": "a@example.com"}, headers=JSON,
                           base_url="http://attacker.example")
    assert response.status_code == 200 and response.get_json()["next"].startswith("http://localhost/thanks?k=key_")


def test_a_form_body_with_json_accept_is_formspree_json_too(client, pub_key, stored):
    response = client.post(f"/f/{pub_key}", data={"email": "a@example.com", "name": "Ada", "_gotcha": ""},
                           headers=JSON)
    assert response.status_code == 200 and response.get_json()["ok"] is True
    assert stored() == [("a@example.com", {"name": "Ada"})]


def test_the_key_in_the_path_wins_over_access_key(client, pub_key, stored):
    response = client.post(f"/f/{pub_key}", json={"email": "a@example.com", "access_key": "ck_pub_other"}, headers=JSON)
    assert response.status_code == 200 and len(stored()) == 1


def test_replyto_is_the_address_when_email_is_absent(client, pub_key, stored):
    response = client.post(f"/f/{pub_key}", data={"_replyto": "r@example.com", "message": "Hi"}, headers=JSON)
    assert response.status_code == 200
    assert stored() == [("r@example.com", {"message": "Hi"})]


@pytest.mark.parametrize("body, code", [
    ({"message": "Hi"}, "REQUIRED_FIELD_MISSING"),
    ({"email": "", "message": "Hi"}, "REQUIRED_FIELD_MISSING"),
    ({"email": "not an address"}, "TYPE_EMAIL"),
])
def test_field_errors_are_422_with_formspree_codes(client, pub_key, stored, body, code):
    response = client.post(f"/f/{pub_key}", json=body, headers=JSON)
    assert response.status_code == 422
    error = response.get_json()
    assert error["error"] and error["errors"][0]["code"] == code and error["errors"][0]["field"] == "email"
    assert response.headers["Access-Control-Allow-Origin"] == SITE  # a page may read why
    assert stored() == []


def test_an_empty_body_is_empty(client, pub_key):
    response = client.post(f"/f/{pub_key}", json={}, headers=JSON)
    assert response.status_code == 422 and response.get_json()["errors"] == [{"code": "EMPTY", "message": "Empty form"}]


def disable(app, raw):
    from contactapi import keys
    from contactapi.extensions import db
    from contactapi.models import ApiKey

    with app.app_context():
        keys.set_status(db.session.scalar(db.select(ApiKey).filter_by(digest=keys.digest(raw))), "disabled")
        db.session.remove()


def test_key_and_site_refusals(app, client, make_key, secret_key, stored):
    disabled = make_key(kind="publishable")
    disable(app, disabled)
    locked = make_key(kind="publishable", domains=["shop.test"])
    cases = [("ck_pub_unknown", 404, "FORM_NOT_FOUND"), ("nonsense", 404, "FORM_NOT_FOUND"),
             (secret_key, 404, "FORM_NOT_FOUND"), (disabled, 403, "INACTIVE"), (locked, 403, "BLOCKED")]
    for key, status, code in cases:
        response = client.post(f"/f/{key}", json={"email": "a@example.com"}, headers=JSON)
        assert (response.status_code, response.get_json()["errors"][0]["code"]) == (status, code), key
        assert "field" not in response.get_json()["errors"][0]
    assert stored() == []


def test_v1_keeps_its_identical_401_for_a_disabled_key(app, client, make_key):
    disabled = make_key(kind="publishable")
    disable(app, disabled)
    answers = [client.post("/v1/contacts", json={"email": "a@example.com"},
                           headers={"Authorization": f"Bearer {key}", "Origin": SITE}) for key in (disabled, "ck_pub_x")]
    assert [a.status_code for a in answers] == [401, 401] and answers[0].get_json() == answers[1].get_json()


def test_a_browser_form_lands_on_next_or_the_thank_you_page(client, pub_key, stored):
    to_next = client.post(f"/f/{pub_key}", data={"email": "a@example.com", "_next": SITE + "/merci"}, headers=BROWSER)
    assert to_next.status_code == 303 and to_next.headers["Location"] == SITE + "/merci"
    to_ours = client.post(f"/f/{pub_key}", data={"email": "b@example.com"}, headers=BROWSER)
    assert to_ours.status_code == 303 and to_ours.headers["Location"].startswith("/thanks?k=key_")
    assert len(stored()) == 2


def test_a_browser_form_error_goes_to_error_with_its_code_or_the_visitor_page(client, pub_key):
    data = {"email": "nope", "_error": SITE + "/oops?form=1"}
    to_error = client.post(f"/f/{pub_key}", data=data, headers=BROWSER)
    assert to_error.status_code == 303 and to_error.headers["Location"] == SITE + "/oops?form=1&error=invalid_email"
    page = client.post(f"/f/{pub_key}", data={"email": "nope"}, headers=BROWSER)
    assert page.status_code == 422 and "Please enter a valid email address." in page.get_data(as_text=True)


def test_the_honeypot_gets_the_usual_success(client, pub_key, stored):
    response = client.post(f"/f/{pub_key}", json={"email": "bot@example.com", "_gotcha": "x"}, headers=JSON)
    assert response.status_code == 200 and response.get_json()["ok"] is True
    assert stored() == []


def test_the_preflight_allows_formsprees_headers(client, pub_key):
    response = client.options(f"/f/{pub_key}", headers={
        "Origin": "https://anywhere.test", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,formspree-client,formspree-session-data"})
    assert response.status_code == 204 and response.headers["Access-Control-Allow-Origin"] == "https://anywhere.test"
    allowed = {h.strip().lower() for h in response.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"content-type", "formspree-client", "formspree-session-data"} <= allowed


def test_a_success_is_never_readable_by_an_opaque_origin(client, make_key):
    key = make_key(kind="publishable")  # admits every site, but "null" (a sandboxed page, a file) is none
    response = client.post(f"/f/{key}", json={"email": "a@example.com"}, headers={**JSON, "Origin": "null"})
    assert response.status_code == 200 and "Access-Control-Allow-Origin" not in response.headers


def test_limits_and_bad_bodies_keep_the_shape(make_app, make_key):
    client = make_app(RATELIMIT_PUBLIC_IP="1/minute").test_client()
    key = make_key(kind="publishable")
    broken = client.post(f"/f/{key}", data=b"{", content_type="application/json", headers=JSON)
    assert broken.status_code == 400 and broken.get_json()["errors"][0]["code"] == "INVALID_JSON"
    limited = client.post(f"/f/{key}", json={"email": "a@example.com"}, headers=JSON)
    assert limited.status_code == 429 and limited.get_json()["errors"][0]["code"] == "RATE_LIMITED"
    assert "Retry-After" in limited.headers
