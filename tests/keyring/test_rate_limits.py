"""Key and sign-in requests are limited per client IP and per target address (429 with Retry-After)."""
from tests.keyring.helpers import csrf_from


def ask(client, email, ip="10.0.0.1"):
    return client.post("/", json={"email": email, "requestType": "getKeys"}, environ_base={"REMOTE_ADDR": ip})


def test_per_address_limit_counts_every_spelling_of_the_address(make_app):
    client = make_app(RATELIMIT_KEY_REQUEST_EMAIL="2/hour").test_client()
    assert ask(client, "ada@example.com", ip="10.0.0.1").status_code == 200
    assert ask(client, "ADA@Example.com ", ip="10.0.0.2").status_code == 200
    refused = ask(client, "ada@example.com", ip="10.0.0.3")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    body = refused.get_json()
    assert body["success"] is False and "try again" in body["message"]
    assert ask(client, "bob@example.com", ip="10.0.0.3").status_code == 200


def test_per_ip_limit(make_app):
    client = make_app(RATELIMIT_KEY_REQUEST_IP="3/hour").test_client()
    for n in range(3):
        assert ask(client, f"person{n}@example.com").status_code == 200
    assert ask(client, "another@example.com").status_code == 429
    assert ask(client, "another@example.com", ip="10.0.0.9").status_code == 200


def test_invalid_requests_count_against_the_ip(make_app):
    client = make_app(RATELIMIT_KEY_REQUEST_IP="2/hour").test_client()
    assert ask(client, "not an address").status_code == 400
    assert ask(client, "").status_code == 400
    assert ask(client, "ada@example.com").status_code == 429


def test_the_sign_in_page_shares_the_budget_and_gets_a_friendly_page(make_app):
    client = make_app(RATELIMIT_KEY_REQUEST_EMAIL="1/hour").test_client()
    assert ask(client, "ada@example.com").status_code == 200
    page = client.get("/signin")
    assert page.status_code == 200  # looking at the page costs nothing
    refused = client.post("/signin", data={"csrf_token": csrf_from(page), "email": "ada@example.com"})
    assert refused.status_code == 429 and refused.mimetype == "text/html"
    assert "Too many requests" in refused.get_data(as_text=True) and "Retry-After" in refused.headers


def test_the_html_form_gets_a_friendly_page(make_app):
    client = make_app(RATELIMIT_KEY_REQUEST_IP="1/hour").test_client()
    for expected in (200, 429):
        page = client.get("/")
        response = client.post("/", data={"csrf_token": csrf_from(page), "email": "ada@example.com",
                                          "request_type": "getKeys", "kind": "publishable"})
        assert response.status_code == expected
    assert "Too many requests" in response.get_data(as_text=True) and "minutes" in response.get_data(as_text=True)


def test_default_limits(app):
    assert app.config["RATELIMIT_KEY_REQUEST_IP"] == "20/hour"
    assert app.config["RATELIMIT_KEY_REQUEST_EMAIL"] == "5/hour"
    client = app.test_client()
    codes = [ask(client, "ada@example.com").status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]
