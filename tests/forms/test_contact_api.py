"""POST /api/contact-api/: codefreeform's wire format on top of the same upsert and domain rule."""
import pytest

from tests.forms.conftest import SITE, settle_mail

URL = "/api/contact-api/"
BROWSER = {"Origin": SITE, "Accept": "text/html,*/*;q=0.8"}
DOMAIN_MISMATCH = {
    "success": False,
    "message": "Verification key domain mismatch.",
    "errors": {"access_key": ["Verification key domain mismatch."], "__all__": ["Domain does not match."]},
}


def send(client, key, origin=SITE, **fields):
    return client.post(URL, json={"access_key": key, **fields}, headers={"Origin": origin} if origin else {})


def test_a_message_is_saved_as_a_contact(client, pub_key, stored):
    response = send(client, pub_key, email="Ada@Example.com", message="Hello!", subject="Contact Form", name="Ada")
    assert response.status_code == 200
    assert response.get_json() == {"success": True, "message": "Thank you! Your message has been received."}
    assert stored() == [("ada@example.com", {"message": "Hello!", "subject": "Contact Form", "name": "Ada"})]


def test_the_same_email_updates_the_same_contact(client, pub_key, stored):
    send(client, pub_key, email="ada@example.com", message="one", name="Ada")
    send(client, pub_key, email="ADA@example.com", message="two")
    assert stored() == [("ada@example.com", {"message": "two", "name": "Ada"})]
    assert stored.submissions() == 2


def test_it_shares_contacts_with_v1(client, pub_key, auth):
    send(client, pub_key, email="ada@example.com", message="Hi")
    listing = client.get("/v1/contacts", headers=auth).get_json()
    assert listing["total"] == 1 and listing["data"][0]["message"] == "Hi"


@pytest.mark.parametrize("fields, errors", [
    ({"message": "Hi"}, {"email": ["This field is required."]}),
    ({"email": "a@example.com"}, {"message": ["This field is required."]}),
    ({"email": " ", "message": ""}, {"email": ["This field is required."], "message": ["This field is required."]}),
    ({"email": None, "message": None}, {"email": ["This field is required."], "message": ["This field is required."]}),
    ({"email": "a@example.com", "message": "Hi", "id": "con_x"}, {"id": ["id is read-only"]}),
])
def test_missing_fields_are_400_in_codefreeform_shape(client, pub_key, stored, fields, errors):
    response = send(client, pub_key, **fields)
    assert response.status_code == 400
    body = response.get_json()
    assert body["success"] is False and body["errors"] == errors and body["message"]
    assert stored() == []


def test_an_invalid_email_names_the_field(client, pub_key, stored):
    body = send(client, pub_key, email="not-an-address", message="Hi").get_json()
    assert list(body["errors"]) == ["email"] and "not a valid email address" in body["errors"]["email"][0]
    assert stored() == []


@pytest.mark.parametrize("origin", ["https://evil.net", "https://example.com.evil.net", "null", None])
def test_domain_mismatch_is_the_documented_400(client, pub_key, stored, origin):
    response = send(client, pub_key, origin=origin, email="a@example.com", message="Hi")
    assert response.status_code == 400
    assert response.get_json() == DOMAIN_MISMATCH
    assert stored() == []


def test_unknown_and_disabled_keys_get_one_answer(app, client, make_key, stored):
    from contactapi import keys
    from contactapi.extensions import db
    from contactapi.models import ApiKey

    disabled = make_key(kind="publishable")
    with app.app_context():
        keys.set_status(db.session.scalar(db.select(ApiKey).filter_by(digest=keys.digest(disabled))), "disabled")
    answers = [send(client, key, email="a@example.com", message="Hi") for key in
               [disabled, "ck_pub_unknown", "nonsense", "ck_pub_" + "x" * 200, 42, ["ck_pub_x"]]]
    assert {a.status_code for a in answers} == {400}
    assert all(a.get_json() == answers[0].get_json() for a in answers)
    assert answers[0].get_json()["errors"] == {"access_key": ["Invalid verification key."]}
    missing = client.post(URL, json={"email": "a@example.com", "message": "Hi"}, headers={"Origin": SITE})
    assert missing.status_code == 400 and missing.get_json()["errors"] == {"access_key": ["This field is required."]}
    assert stored() == []


def test_a_secret_key_is_refused(client, secret_key, stored):
    response = send(client, secret_key, email="a@example.com", message="Hi")
    assert response.status_code == 400 and "publishable" in response.get_json()["errors"]["access_key"][0]
    assert stored() == []


def test_bad_bodies(client, pub_key, stored):
    assert client.post(URL, data="x", content_type="text/plain").status_code == 415
    broken = client.post(URL, data="{", content_type="application/json")
    assert broken.status_code == 400 and broken.get_json()["success"] is False
    assert stored() == []


def test_it_needs_no_csrf_token(make_app, make_key, stored):
    app = make_app(WTF_CSRF_ENABLED=True)
    key = make_key(kind="publishable")
    response = send(app.test_client(), key, email="a@example.com", message="Hi")
    assert response.status_code == 200 and len(stored()) == 1


def form(client, data, headers=BROWSER):
    return client.post(URL, data=data, content_type="application/x-www-form-urlencoded", headers=headers)


def test_a_form_post_redirects_to_an_admitted_success_url(client, pub_key, stored):
    data = {"access_key": pub_key, "email": "a@example.com", "message": "Hi",
            "success_url": "https://www.example.com/merci", "error_url": "https://example.com/oops"}
    response = form(client, data)
    assert response.status_code == 303 and response.headers["Location"] == "https://www.example.com/merci"
    assert stored() == [("a@example.com", {"message": "Hi"})]  # control fields never stored


@pytest.mark.parametrize("success_url", [None, "https://evil.net/", "https://example.com.evil.net/", "/relative"])
def test_without_an_admitted_success_url_the_thank_you_page(client, pub_key, success_url):
    data = {"access_key": pub_key, "email": "a@example.com", "message": "Hi"}
    if success_url:
        data["success_url"] = success_url
    response = form(client, data)
    assert response.status_code == 303 and response.headers["Location"].startswith("/thanks?k=key_")


def test_a_failed_form_post_goes_to_an_admitted_error_url(client, pub_key, stored):
    data = {"access_key": pub_key, "email": "a@example.com", "error_url": "https://example.com/oops"}
    response = form(client, data)
    assert response.status_code == 303 and response.headers["Location"] == "https://example.com/oops?error=field_required"
    data["error_url"] = "https://evil.net/oops"
    page = form(client, data)
    assert page.status_code == 400 and page.mimetype == "text/html"
    assert "Please fill in every required field." in page.get_data(as_text=True)
    assert stored() == []


def test_a_form_from_another_site_gets_an_html_page(client, pub_key, stored):
    data = {"access_key": pub_key, "email": "a@example.com", "message": "Hi"}
    page = form(client, data, {**BROWSER, "Origin": "https://evil.net"})
    assert page.status_code == 400
    assert "This form only accepts messages from its own website." in page.get_data(as_text=True)
    assert stored() == []


def test_the_honeypot_stores_nothing(client, pub_key, stored):
    answer = send(client, pub_key, email="bot@example.com", message="buy", _gotcha="yes")
    assert answer.status_code == 200 and answer.get_json()["success"] is True
    assert stored() == []


@pytest.mark.parametrize("flag, mails", [(True, 0), ("true", 0), ("1", 0), (False, 1), ("false", 1), (None, 1)])
def test_not_email_sent_skips_the_notification(mail_app, make_key, stored, flag, mails):
    key = make_key(kind="publishable")
    fields = {"email": "a@example.com", "message": "Hi"} | ({"not_email_sent": flag} if flag is not None else {})
    assert send(mail_app.test_client(), key, **fields).status_code == 200
    settle_mail(mail_app)
    assert len(mail_app.inbox.messages) == mails
    assert stored() == [("a@example.com", {"message": "Hi"})]


def test_cors_exactly_like_v1(client, pub_key):
    preflight = client.options(URL, headers={"Origin": SITE, "Access-Control-Request-Method": "POST",
                                             "Access-Control-Request-Headers": "content-type"})
    assert preflight.status_code == 204 and preflight.headers["Access-Control-Allow-Origin"] == SITE
    ok = send(client, pub_key, email="a@example.com", message="Hi")
    assert ok.status_code == 200 and ok.headers["Access-Control-Allow-Origin"] == SITE
    refused = send(client, pub_key, origin="https://evil.net", email="a@example.com", message="Hi")
    assert refused.status_code == 400 and refused.headers["Access-Control-Allow-Origin"] == "https://evil.net"
