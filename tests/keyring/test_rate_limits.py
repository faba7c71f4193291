"""Key and sign-in requests are limited per client IP (429 with Retry-After) and their mails per target inbox
(the answer stays the same, no mail goes: tests/keyring/test_mail_limits.py)."""
from tests.keyring.helpers import csrf_from


def ask(client, email, ip="10.0.0.1"):
    return client.post("/", json={"email": email, "requestType": "getKeys"}, environ_base={"REMOTE_ADDR": ip})


def test_per_inbox_cap_counts_every_spelling_and_answers_the_same(app_mailing_to, smtp_server):
    _host, port, inbox = smtp_server
    client = app_mailing_to(port, RATELIMIT_KEY_REQUEST_EMAIL="2/hour").test_client()
    spellings = ["ada@example.com", "ADA+news@Example.com ", "ada+1@example.com", "ada@example.com"]
    answers = [ask(client, email, ip=f"10.0.0.{n}") for n, email in enumerate(spellings)]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 200]
    assert answers[3].get_json() == answers[0].get_json()  # over the cap, word for word the same answer
    assert len(inbox.messages) == 2
    assert ask(client, "bob@example.com").status_code == 200 and len(inbox.to("bob@example.com")) == 1


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


def test_the_sign_in_page_shares_the_inbox_budget(app_mailing_to, smtp_server):
    _host, port, inbox = smtp_server
    client = app_mailing_to(port, RATELIMIT_KEY_REQUEST_EMAIL="1/hour").test_client()
    assert ask(client, "ada@example.com").status_code == 200
    page = client.get("/signin")
    assert page.status_code == 200  # looking at the page costs nothing
    answer = client.post("/signin", data={"csrf_token": csrf_from(page), "email": "Ada+x@example.com"})
    assert answer.status_code == 200 and "we sent a sign-in link" in answer.get_data(as_text=True)
    assert len(inbox.messages) == 1  # only the key request's


def test_the_html_form_gets_a_friendly_page(make_app):
    client = make_app(RATELIMIT_KEY_REQUEST_IP="1/hour").test_client()
    for expected in (200, 429):
        page = client.get("/")
        response = client.post("/", data={"csrf_token": csrf_from(page), "email": "ada@example.com",
                                          "request_type": "getKeys", "kind": "publishable"})
        assert response.status_code == expected
    assert "Too many requests" in response.get_data(as_text=True) and "minutes" in response.get_data(as_text=True)


def test_default_limits(app_mailing_to, smtp_server):
    _host, port, inbox = smtp_server
    app = app_mailing_to(port)
    assert app.config["RATELIMIT_KEY_REQUEST_IP"] == "20/hour"
    assert app.config["RATELIMIT_KEY_REQUEST_EMAIL"] == "5/hour"
    client = app.test_client()
    codes = [ask(client, "ada@example.com").status_code for _ in range(6)]
    assert codes == [200] * 6 and len(inbox.messages) == 5
