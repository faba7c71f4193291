"""POST /submit: Web3Forms' wire format on top of the submit flow (the rules themselves: tests/test_submit.py)."""
import pytest

from tests.forms.conftest import SITE, settle_mail

JSON = {"Accept": "application/json", "Origin": SITE}
BROWSER = {"Accept": "text/html", "Origin": SITE}


def test_a_json_submission(client, pub_key, stored):
    body = {"access_key": pub_key, "email": "Ada@Example.com", "name": "Ada", "message": "Hi",
            "subject": "New lead", "from_name": "My site", "botcheck": False}
    response = client.post("/submit", json=body, headers=JSON)
    assert response.status_code == 200
    assert response.get_json() == {"success": True, "message": "Email sent successfully!",
                                   "data": {"email": "ada@example.com", "name": "Ada", "message": "Hi"}}
    assert response.headers["Access-Control-Allow-Origin"] == SITE
    assert stored() == [("ada@example.com", {"name": "Ada", "message": "Hi"})]  # control fields never stored


def test_replyto_is_the_address_when_email_is_absent(client, pub_key, stored):
    response = client.post("/submit", json={"access_key": pub_key, "replyto": "r@example.com", "m": "x"}, headers=JSON)
    assert response.status_code == 200 and stored() == [("r@example.com", {"m": "x"})]


@pytest.mark.parametrize("body, status", [
    ({"email": "a@example.com"}, 400),                       # no access_key
    ({"access_key": "ck_pub_unknown", "email": "a@example.com"}, 403),
    ({"access_key": "{key}"}, 400),                          # no address
    ({"access_key": "{key}", "email": "nope"}, 400),
])
def test_errors_are_success_false(client, pub_key, stored, body, status):
    body = {name: value.replace("{key}", pub_key) for name, value in body.items()}
    response = client.post("/submit", json=body, headers=JSON)
    assert response.status_code == status
    assert response.get_json()["success"] is False and response.get_json()["message"]
    assert set(response.get_json()) == {"success", "message"}
    assert stored() == []


@pytest.mark.parametrize("access_key", [None, ""])
def test_a_missing_access_key_is_named_in_this_doors_words(client, stored, access_key):
    """It said "Send Authorization: Bearer <key>", a header this door never reads."""
    body = {"email": "a@example.com", **({} if access_key is None else {"access_key": access_key})}
    response = client.post("/submit", json=body, headers=JSON)
    assert response.status_code == 400 and response.get_json() == {
        "success": False, "message": "access_key is missing: send your publishable key (ck_pub_…) as access_key."}
    assert stored() == []


def test_the_wrong_site_and_secret_keys_are_403(client, pub_key, secret_key, stored):
    wrong_site = client.post("/submit", json={"access_key": pub_key, "email": "a@example.com"},
                             headers={**JSON, "Origin": "https://evil.net"})
    secret = client.post("/submit", json={"access_key": secret_key, "email": "a@example.com"},
                         headers={"Accept": "application/json"})
    assert wrong_site.status_code == secret.status_code == 403 and stored() == []
    assert wrong_site.headers["Access-Control-Allow-Origin"] == "https://evil.net"


def test_a_browser_form_redirects_or_lands_on_our_pages(client, pub_key, stored):
    to_redirect = client.post("/submit", data={"access_key": pub_key, "email": "a@example.com",
                                               "redirect": SITE + "/thank-you", "botcheck": ""}, headers=BROWSER)
    assert to_redirect.status_code == 303 and to_redirect.headers["Location"] == SITE + "/thank-you"
    to_ours = client.post("/submit", data={"access_key": pub_key, "email": "b@example.com"}, headers=BROWSER)
    assert to_ours.status_code == 303 and to_ours.headers["Location"].startswith("/thanks?k=key_")
    error = client.post("/submit", data={"access_key": pub_key, "email": "nope"}, headers=BROWSER)
    assert error.status_code == 400 and "Please enter a valid email address." in error.get_data(as_text=True)
    assert len(stored()) == 2


@pytest.mark.parametrize("error_url", ["https://www.example.com:abc/", "https://www.example.com:99999/",
                                       "https://" + "a" * 64 + ".example.com/"])
def test_an_admitted_error_url_with_a_broken_port_or_label_is_our_error_page(client, pub_key, stored, error_url):
    response = client.post("/submit", data={"access_key": pub_key, "email": "nope", "error_url": error_url},
                           headers=BROWSER)
    assert response.status_code == 400 and "Please enter a valid email address." in response.get_data(as_text=True)
    assert stored() == []


def test_botcheck_gets_the_usual_success(client, pub_key, stored):
    response = client.post("/submit", json={"access_key": pub_key, "email": "bot@example.com", "botcheck": True},
                           headers=JSON)
    assert response.status_code == 200 and response.get_json()["success"] is True and stored() == []


def test_botcheck_answers_exactly_like_a_real_success(client, pub_key, stored):
    """It echoed the address as sent (" Ada@Example.COM "); a real post is answered with it normalised."""
    sent = {"access_key": pub_key, "email": " Ada@Example.COM ", "message": "Hi"}
    bot = client.post("/submit", json={**sent, "botcheck": True}, headers=JSON)
    real = client.post("/submit", json=sent, headers=JSON)
    assert (bot.status_code, bot.get_json()) == (real.status_code, real.get_json())
    assert real.get_json()["data"] == {"email": "ada@example.com", "message": "Hi"}
    assert stored() == [("ada@example.com", {"message": "Hi"})] and stored.submissions() == 1


def test_a_limit_is_429(make_app, make_key):
    client = make_app(RATELIMIT_PUBLIC_IP="1/minute").test_client()
    key = make_key(kind="publishable")
    assert client.post("/submit", json={"access_key": key, "email": "a@example.com"}, headers=JSON).status_code == 200
    limited = client.post("/submit", json={"access_key": key, "email": "a@example.com"}, headers=JSON)
    assert limited.status_code == 429 and limited.get_json()["success"] is False


def test_subject_from_name_and_replyto_shape_the_owners_mail(mail_app, make_key):
    key = make_key(kind="publishable")
    mail_app.test_client().post("/submit", json={
        "access_key": key, "email": "a@example.com", "subject": "Quote\r\nBcc: evil@x.net", "message": "Hi"},
        headers={"Accept": "application/json"})
    settle_mail(mail_app)
    [mail] = mail_app.inbox.messages
    assert mail["Subject"] == "Quote Bcc: evil@x.net" and mail["Bcc"] is None
