"""When the mail server is down or refuses: "try again later", nothing half-made, and still no hint
whether the address has an account."""
import pytest

from contactapi.models import Account, ApiKey, MagicLink
from tests.keyring.helpers import csrf_from, table_count

MAIL_DOWN = "We could not send the email right now. Please try again later."


@pytest.fixture(params=["down", "refusing"])
def broken_mail_app(request):
    return request.getfixturevalue(f"{request.param}_mail_app")


@pytest.mark.parametrize("request_type", ["generateKey", "getKeys"])
def test_json_requests_are_told_to_try_again_later(broken_mail_app, make_key, request_type):
    make_key("existing@example.com", "publishable")
    client = broken_mail_app.test_client()
    answers = []
    for email in ("new@example.com", "existing@example.com"):
        response = client.post("/", json={"email": email, "requestType": request_type})
        assert response.status_code == 503 and "Retry-After" in response.headers
        answers.append(response.get_json())
    assert answers[0] == answers[1] and answers[0]["success"] is False and answers[0]["message"] == MAIL_DOWN
    assert table_count(broken_mail_app, MagicLink) == 0
    assert table_count(broken_mail_app, Account) == 1 and table_count(broken_mail_app, ApiKey) == 1


def test_the_form_and_the_sign_in_page_say_try_again_later(broken_mail_app):
    client = broken_mail_app.test_client()
    page = client.get("/")
    form = {"csrf_token": csrf_from(page), "email": "ada@example.com", "request_type": "generateKey",
            "kind": "publishable"}
    for path in ("/", "/signin"):
        response = client.post(path, data=form)
        assert response.status_code == 503 and MAIL_DOWN in response.get_data(as_text=True)
        assert response.mimetype == "text/html"
    assert table_count(broken_mail_app, MagicLink) == 0
