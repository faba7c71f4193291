"""POST /v1/contacts from a browser form: the snippet's fields, the domain lock, honeypot, _next, errors."""
import io

import pytest

from tests.forms.conftest import SITE

BROWSER = {"Origin": SITE, "Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
FETCH_JSON = {"Origin": SITE, "Accept": "application/json"}


def post_form(client, data, headers=BROWSER, multipart=False):
    content_type = "multipart/form-data" if multipart else "application/x-www-form-urlencoded"
    return client.post("/v1/contacts", data=data, content_type=content_type, headers=headers)


@pytest.mark.parametrize("multipart", [False, True])
def test_a_form_post_is_stored_and_lands_on_the_thank_you_page(client, pub_key, stored, multipart):
    data = {"access_key": pub_key, "email": " Ada@Example.com ", "message": "Hello", "_gotcha": "", "_next": ""}
    response = post_form(client, data, multipart=multipart)
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/thanks?k=key_")
    assert stored() == [("ada@example.com", {"message": "Hello"})]  # control fields never stored
    page = client.get("/thanks")
    assert page.status_code == 200 and "Thank you" in page.get_data(as_text=True)


def test_a_repeated_field_is_kept_as_a_list(client, pub_key, stored):
    data = {"access_key": pub_key, "email": "a@example.com", "topic": ["x", "y"]}
    assert post_form(client, data).status_code == 303
    assert stored() == [("a@example.com", {"topic": ["x", "y"]})]


def test_a_second_post_updates_the_same_contact_and_keeps_both_submissions(client, pub_key, stored):
    post_form(client, {"access_key": pub_key, "email": "a@example.com", "name": "Ada", "message": "one"})
    post_form(client, {"access_key": pub_key, "email": "A@example.com", "message": "two"})
    assert stored() == [("a@example.com", {"name": "Ada", "message": "two"})]
    assert stored.submissions() == 2


def test_asking_for_json_gets_the_api_answer(client, pub_key, stored):
    response = post_form(client, {"access_key": pub_key, "email": "a@example.com", "message": "Hi"}, FETCH_JSON)
    assert response.status_code == 201
    body = response.get_json()
    assert body["email"] == "a@example.com" and body["message"] == "Hi" and "access_key" not in body


def test_a_publishable_key_sees_only_what_it_sent(client, pub_key, auth):
    """The key is public: posting someone's email must not reveal what earlier submissions stored."""
    client.post("/v1/contacts", json={"email": "ada@example.com", "phone": "+44 1234"}, headers=auth)
    response = post_form(client, {"access_key": pub_key, "email": "ada@example.com", "message": "Hi"}, FETCH_JSON)
    assert response.status_code == 201
    assert "phone" not in response.get_json() and response.get_json()["message"] == "Hi"
    full = client.get("/v1/contacts", headers=auth).get_json()["data"][0]
    assert full["phone"] == "+44 1234" and full["message"] == "Hi"


@pytest.mark.parametrize("next_url, location", [
    ("https://example.com/thanks.html", "https://example.com/thanks.html"),
    ("https://www.example.com/merci?x=1", "https://www.example.com/merci?x=1"),
    ("https://example.com.evil.net/phish", "/thanks"),
    ("https://evil.net/phish", "/thanks"),
    ("//evil.net/phish", "/thanks"),
    ("javascript:alert(1)", "/thanks"),
])
def test_next_is_followed_only_inside_the_keys_domains(client, pub_key, stored, next_url, location):
    response = post_form(client, {"access_key": pub_key, "email": "a@example.com", "_next": next_url})
    assert response.status_code == 303
    assert response.headers["Location"].split("?k=")[0] == location
    assert stored() == [("a@example.com", {})]


@pytest.mark.parametrize("next_url", ["https://www.example.com:abc/", "https://www.example.com:99999/",
                                      "https://" + "a" * 64 + ".example.com/"])
def test_an_admitted_next_with_a_broken_port_or_label_is_the_thank_you_page(client, pub_key, stored, next_url):
    """Inside the key's domains, but no URL: Werkzeug failed writing Location after the contact was stored."""
    response = post_form(client, {"access_key": pub_key, "email": "a@example.com", "_next": next_url})
    assert response.status_code == 303 and response.headers["Location"].startswith("/thanks?k=key_")
    assert stored() == [("a@example.com", {})] and stored.submissions() == 1


def test_next_with_an_unrestricted_key_must_stay_on_the_forms_site(client, make_key):
    key = make_key(kind="publishable")
    headers = {**BROWSER, "Origin": "https://shop.test"}
    ok = post_form(client, {"access_key": key, "email": "a@example.com", "_next": "https://shop.test/ok"}, headers)
    assert ok.headers["Location"] == "https://shop.test/ok"
    away = post_form(client, {"access_key": key, "email": "a@example.com", "_next": "https://evil.net/"}, headers)
    assert away.headers["Location"].startswith("/thanks?k=key_")


@pytest.mark.parametrize("headers", [
    {**BROWSER, "Origin": "https://evil.net"},
    {**BROWSER, "Origin": "https://example.com.evil.net"},
    {**BROWSER, "Origin": "null"},
    {"Accept": "text/html"},
    {"Accept": "text/html", "Referer": "https://evilexample.com/form"},
])
def test_a_locked_key_refuses_other_sites_with_a_visitor_page(client, pub_key, stored, headers):
    response = post_form(client, {"access_key": pub_key, "email": "a@example.com"}, headers)
    assert response.status_code == 403
    assert response.mimetype == "text/html"
    assert "This form only accepts messages from its own website." in response.get_data(as_text=True)
    assert stored() == []


def test_the_domain_mismatch_is_json_for_json_callers(client, pub_key, stored):
    response = post_form(client, {"access_key": pub_key, "email": "a@example.com"},
                         {"Origin": "https://evil.net", "Accept": "application/json"})
    assert response.status_code == 403
    assert response.get_json()["error"]["message"] == "Verification key domain mismatch."
    json_post = client.post("/v1/contacts", json={"email": "a@example.com"},
                            headers={"Authorization": f"Bearer {pub_key}", "Origin": "https://evil.net"})
    assert json_post.status_code == 403 and json_post.get_json()["error"]["code"] == "domain_mismatch"
    assert stored() == []


def test_a_referer_is_enough_without_an_origin(client, pub_key, stored):
    response = post_form(client, {"access_key": pub_key, "email": "a@example.com"},
                         {"Accept": "text/html", "Referer": "https://www.example.com/contact"})
    assert response.status_code == 303 and len(stored()) == 1


def test_secret_keys_are_not_domain_locked(client, secret_key, stored):
    response = client.post("/v1/contacts", json={"email": "a@example.com", "access_key": secret_key})
    assert response.status_code == 201 and len(stored()) == 1


@pytest.mark.parametrize("headers, status", [(BROWSER, 303), (FETCH_JSON, 201)])
def test_the_honeypot_answers_success_and_stores_nothing(client, pub_key, stored, headers, status):
    data = {"access_key": pub_key, "email": "bot@example.com", "_gotcha": "I am a bot",
            "_next": "https://example.com/thanks.html"}
    response = post_form(client, data, headers)
    assert response.status_code == status
    if status == 303:
        assert response.headers["Location"] == "https://example.com/thanks.html"
    else:  # the answer of a real submission: a bot cannot tell
        assert response.get_json()["email"] == "bot@example.com" and response.get_json()["id"].startswith("con_")
    assert stored() == [] and stored.submissions() == 0


def test_two_empty_honeypot_inputs_are_a_person(client, pub_key, stored):
    """A page with the snippet's `_gotcha` twice sends ["", ""]: that list was judged filled, and the visitor's
    post went to the spam folder without a word."""
    data = {"access_key": pub_key, "email": "a@example.com", "message": "Hi", "_gotcha": ["", ""]}
    response = post_form(client, data)
    assert response.status_code == 303
    assert stored() == [("a@example.com", {"message": "Hi"})] and stored.submissions() == 1
    bot = post_form(client, {**data, "email": "bot@example.com", "_gotcha": ["", "filled"]})
    assert bot.status_code == 303 and len(stored()) == 1


def test_a_honeypot_hit_answers_exactly_like_a_real_success(app, client, pub_key, stored):
    """Issue 10: a bot cannot tell. It was told the address as it sent it; a real post gets it normalised."""
    from contactapi.extensions import db
    from contactapi.models import SpamSubmission

    sent = {"access_key": pub_key, "email": " Ada@Example.COM ", "message": "Hi"}
    bots = [post_form(client, {**sent, "_gotcha": "x"}, FETCH_JSON) for _ in range(2)]
    reals = [post_form(client, sent, FETCH_JSON) for _ in range(2)]
    assert {r.status_code for r in bots + reals} == {201}
    bot, real = bots[0].get_json(), reals[0].get_json()
    assert bot == {**real, "id": bot["id"]} == {"id": bot["id"], "email": "ada@example.com", "message": "Hi"}
    assert bots[1].get_json()["id"] == bot["id"] and reals[1].get_json()["id"] == real["id"]  # one per address
    assert stored() == [("ada@example.com", {"message": "Hi"})] and stored.submissions() == 2
    with app.app_context():  # the spam folder keeps the bot's posts as they were sent
        assert [(row.email, row.fields) for row in db.session.query(SpamSubmission)] == \
            [(" Ada@Example.COM ", {"message": "Hi"})] * 2
        db.session.remove()


def test_the_honeypot_works_for_json_bodies_too(client, pub_key, stored):
    response = client.post("/v1/contacts", json={"email": "bot@example.com", "_gotcha": "x"},
                           headers={"Authorization": f"Bearer {pub_key}", "Origin": SITE})
    assert response.status_code == 201 and set(response.get_json()) == {"id", "email"}
    assert stored() == []


def test_a_file_upload_is_a_clear_400(client, pub_key, stored):
    data = {"access_key": pub_key, "email": "a@example.com", "cv": (io.BytesIO(b"%PDF"), "cv.pdf")}
    response = post_form(client, data, multipart=True)
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "This form does not accept file uploads." in response.get_data(as_text=True)
    data["cv"] = (io.BytesIO(b""), "")  # a file input left empty is still a file part
    json_answer = post_form(client, data, FETCH_JSON, multipart=True)
    assert json_answer.status_code == 400
    assert json_answer.get_json()["error"]["code"] == "uploads_not_supported"
    assert stored() == []


NAMELESS_PART = (b'--xyz\r\nContent-Disposition: form-data; name="email"\r\n\r\na@example.com\r\n'
                 b'--xyz\r\nContent-Disposition: form-data; name="access_key"\r\n\r\n{key}\r\n'
                 b'--xyz\r\nContent-Disposition: form-data\r\n\r\nhello\r\n--xyz--\r\n')


@pytest.mark.parametrize("door, answer", [
    ("/v1/contacts", lambda body: body["error"]["code"] == "unnamed_field"),
    ("/submit", lambda body: body["success"] is False and "name" in body["message"]),
    ("/api/contact-api/", lambda body: body["success"] is False and body["errors"] == {"__all__": [body["message"]]}),
    ("/f/{key}", lambda body: body["errors"][0]["code"] == "UNNAMED_FIELD"),
])
def test_a_multipart_part_without_a_name_is_a_clear_400_on_every_door(client, pub_key, stored, door, answer):
    """It was a 500 (the reader checked a None name for NUL). Refused rather than dropped: see form_fields."""
    path, body = door.format(key=pub_key), NAMELESS_PART.replace(b"{key}", pub_key.encode())
    content_type = "multipart/form-data; boundary=xyz"
    refused = client.post(path, data=body, content_type=content_type, headers=FETCH_JSON)
    assert refused.status_code == 400 and answer(refused.get_json())
    page = client.post(path, data=body, content_type=content_type, headers=BROWSER)
    assert page.status_code == 400 and page.mimetype == "text/html"
    assert stored() == [] and stored.submissions() == 0


@pytest.mark.parametrize("data, status, words, text", [
    ({"email": "a@example.com"}, 401, "This form is not accepting messages right now.", "Missing API key"),
    ({"access_key": "ck_pub_nope", "email": "a@example.com"}, 401, "This form is not accepting messages right now.",
     "Invalid API key."),
    ({"email": "a@example.com", "access_key": "{key}", "id": "con_x"}, 400, "Please check what you entered",
     "id is read-only"),
    ({"access_key": "{key}"}, 400, "Please enter a valid email address.", "email is required"),
    ({"access_key": "{key}", "email": "not an address"}, 400, "Please enter a valid email address.",
     "email is not a valid email address"),
])
def test_form_errors_are_visitor_pages_for_browsers_and_json_on_request(client, pub_key, stored, data, status, words,
                                                                         text):
    data = {name: value.replace("{key}", pub_key) for name, value in data.items()}
    page = post_form(client, data)
    assert page.status_code == status and page.mimetype == "text/html"
    assert words in page.get_data(as_text=True)
    answer = post_form(client, data, FETCH_JSON)
    assert answer.status_code == status and answer.get_json()["error"]["message"].startswith(text)
    assert stored() == []


def test_an_html_error_page_escapes_what_was_sent(client, pub_key):
    page = post_form(client, {"access_key": pub_key, "email": "<script>alert(1)</script>"})
    assert page.status_code == 400
    assert "<script>alert(1)" not in page.get_data(as_text=True)


def test_other_media_types_get_415(client, pub_key):
    response = client.post("/v1/contacts", data="email=a@example.com", content_type="text/plain",
                           headers={"Authorization": f"Bearer {pub_key}", "Origin": SITE})
    assert response.status_code == 415
