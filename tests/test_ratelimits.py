"""Rate limits: per IP and per key for publishable keys, per key for secret keys; 429 in each surface's shape."""
import pytest
import requests

from contactapi.config import ConfigError

SITE = "https://example.com"


@pytest.fixture
def limited_app(make_app):
    """limited_app(**limits) → a test client of an app with these (small) limits."""

    def _make(**limits):
        return make_app(**{"RATELIMIT_PUBLIC_IP": "1000/minute", "RATELIMIT_PUBLIC_KEY": "1000/minute",
                           "RATELIMIT_SECRET_KEY": "1000/minute", **limits}).test_client()

    return _make


def create(client, key, ip="10.0.0.1", email="a@example.com", **headers):
    """POST /v1/contacts from a page on SITE (Origin=None: from a backend, as a secret key must be)."""
    headers = {"Authorization": f"Bearer {key}", "Origin": SITE, **headers}
    return client.post("/v1/contacts", json={"email": email}, environ_base={"REMOTE_ADDR": ip},
                       headers={name: value for name, value in headers.items() if value is not None})


def test_publishable_keys_are_limited_per_client_ip(limited_app, make_key):
    client = limited_app(RATELIMIT_PUBLIC_IP="3/minute")
    key, other_key = make_key(kind="publishable"), make_key("other@example.com", kind="publishable")
    assert [create(client, key).status_code for _ in range(3)] == [201, 201, 201]
    refused = create(client, other_key)  # the address is used up, whichever key it brings
    assert refused.status_code == 429
    assert refused.get_json()["error"]["code"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) > 0
    assert refused.headers["X-RateLimit-Limit"] == "3" and refused.headers["X-RateLimit-Remaining"] == "0"
    assert create(client, key, ip="10.0.0.2").status_code == 201  # another visitor is not affected


def test_successful_answers_carry_the_rate_limit_headers(limited_app, make_key):
    """They describe the budget closest to running out: here the key's (its address has 1000)."""
    response = create(limited_app(RATELIMIT_PUBLIC_KEY="5/minute"), make_key(kind="publishable"))
    assert response.status_code == 201
    assert response.headers["X-RateLimit-Limit"] == "5" and response.headers["X-RateLimit-Remaining"] == "4"
    assert "X-RateLimit-Reset" in response.headers
    assert "Retry-After" not in response.headers  # only a refused answer tells the client to wait (README)


def test_the_headers_follow_the_budget_that_will_refuse_first(limited_app, make_key):
    """A form post counts its address and its key: the headers count down the one that will refuse."""
    client = limited_app(RATELIMIT_PUBLIC_IP="3/minute", RATELIMIT_PUBLIC_KEY="600/minute")
    key = make_key(kind="publishable")
    answers = [create(client, key) for _ in range(4)]
    assert [a.status_code for a in answers] == [201, 201, 201, 429]
    assert [a.headers["RateLimit-Limit"] for a in answers] == ["3"] * 4
    assert [a.headers["RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
    busy = limited_app(RATELIMIT_PUBLIC_IP="60/minute", RATELIMIT_PUBLIC_KEY="3/minute")
    visitors = [create(busy, key, ip=f"10.0.1.{n}") for n in range(3)]  # many visitors, one key
    assert [a.headers["RateLimit-Limit"] for a in visitors] == ["3"] * 3
    assert [a.headers["RateLimit-Remaining"] for a in visitors] == ["2", "1", "0"]


def test_publishable_keys_are_limited_per_key_across_addresses(limited_app, make_key):
    client = limited_app(RATELIMIT_PUBLIC_KEY="3/minute")
    key, other_key = make_key(kind="publishable"), make_key("other@example.com", kind="publishable")
    assert [create(client, key, ip=f"10.0.0.{n}").status_code for n in range(3)] == [201, 201, 201]
    assert create(client, key, ip="10.0.0.99").status_code == 429
    assert create(client, other_key, ip="10.0.0.99").status_code == 201


def test_a_browser_form_gets_an_html_429(limited_app, make_key):
    client = limited_app(RATELIMIT_PUBLIC_IP="1/minute")
    key = make_key(kind="publishable")
    form = {"access_key": key, "email": "a@example.com"}
    headers = {"Origin": SITE, "Accept": "text/html"}
    assert client.post("/v1/contacts", data=form, headers=headers).status_code == 303
    page = client.post("/v1/contacts", data=form, headers=headers)
    assert page.status_code == 429 and page.mimetype == "text/html"
    assert "Please wait a minute and try again." in page.get_data(as_text=True) and "Retry-After" in page.headers


def test_the_codefreeform_route_shares_the_budget_and_answers_in_its_shape(limited_app, make_key):
    client = limited_app(RATELIMIT_PUBLIC_KEY="2/minute")
    key = make_key(kind="publishable")
    assert create(client, key).status_code == 201
    body = {"access_key": key, "email": "a@example.com", "message": "Hi"}
    assert client.post("/api/contact-api/", json=body, headers={"Origin": SITE}).status_code == 200
    refused = client.post("/api/contact-api/", json=body, headers={"Origin": SITE})
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert refused.get_json()["success"] is False and refused.get_json()["errors"]["__all__"]


def test_secret_keys_are_limited_per_key_on_every_endpoint_and_not_per_ip(limited_app, make_key):
    client = limited_app(RATELIMIT_SECRET_KEY="4/minute", RATELIMIT_PUBLIC_IP="1/minute")
    key, other = make_key(), make_key("other@example.com")
    headers = {"Authorization": f"Bearer {key}"}
    contact = create(client, key, Origin=None).get_json()
    assert client.get("/v1/contacts", headers=headers).status_code == 200
    assert client.get(f"/v1/contacts/{contact['id']}", headers=headers).status_code == 200
    assert client.patch(f"/v1/contacts/{contact['id']}", json={"x": 1}, headers=headers).status_code == 200
    for call in (lambda: client.get(f"/v1/contacts/{contact['id']}/submissions", headers=headers),
                 lambda: client.delete(f"/v1/contacts/{contact['id']}", headers=headers),
                 lambda: create(client, key, Origin=None)):
        refused = call()
        assert refused.status_code == 429 and refused.get_json()["error"]["code"] == "rate_limited"
        assert "Retry-After" in refused.headers
    assert create(client, other, Origin=None).status_code == 201  # another key has its own budget


def test_a_secret_key_in_the_body_is_counted_per_key_only(limited_app, make_key):
    """The contract's "per key only" whichever way the key comes: an access_key in a backend's JSON body was
    counted against the public budget of its address and never against its own."""
    from contactapi.extensions import db
    from contactapi.models import Contact

    client = limited_app(RATELIMIT_SECRET_KEY="3/minute", RATELIMIT_PUBLIC_IP="1/minute")
    key = make_key()

    def post(number, ip):
        return client.post("/v1/contacts", json={"access_key": key, "email": f"a{number}@example.com"},
                           environ_base={"REMOTE_ADDR": ip})

    assert [post(n, "10.0.0.1").status_code for n in range(3)] == [201, 201, 201]  # past the address's 1/minute
    refused = post(3, "10.0.0.2")  # another address, the same key: the key's budget is spent
    assert refused.status_code == 429 and refused.headers["X-RateLimit-Limit"] == "3"
    assert create(client, make_key(kind="publishable")).status_code == 201  # 10.0.0.1's budget is untouched
    with client.application.app_context():
        assert db.session.query(Contact).count() == 4
        db.session.remove()


def test_a_missing_or_bad_key_counts_against_the_address(limited_app, make_key):
    client = limited_app(RATELIMIT_PUBLIC_IP="2/minute")
    assert create(client, "ck_pub_wrong").status_code == 401
    assert client.post("/v1/contacts", json={"email": "a@example.com"},
                       environ_base={"REMOTE_ADDR": "10.0.0.1"}).status_code == 401
    assert create(client, make_key(kind="publishable")).status_code == 429


def test_a_forged_x_forwarded_for_changes_nothing(limited_app, make_key):
    client = limited_app(RATELIMIT_PUBLIC_IP="2/minute")
    key = make_key(kind="publishable")
    statuses = [create(client, key, **{"X-Forwarded-For": f"203.0.113.{n}"}).status_code for n in range(3)]
    assert statuses == [201, 201, 429]


def test_behind_a_trusted_proxy_each_forwarded_client_counts(limited_app, make_key):
    client = limited_app(RATELIMIT_PUBLIC_IP="2/minute", TRUSTED_PROXIES=1)
    key = make_key(kind="publishable")
    # one proxy (10.0.0.1) forwards for many visitors: each has its own budget
    assert [create(client, key, **{"X-Forwarded-For": f"203.0.113.{n}"}).status_code for n in range(5)] == \
        [201, 201, 201, 201, 201]
    # with one trusted proxy only the last address counts: a visitor cannot prepend fake ones
    same_visitor = [create(client, key, **{"X-Forwarded-For": f"198.51.100.{n}, 203.0.113.7"}).status_code
                    for n in range(3)]
    assert same_visitor == [201, 201, 429]


def test_limits_are_read_at_request_time(make_app, make_key):
    app = make_app(RATELIMIT_PUBLIC_IP="100/minute")
    client, key = app.test_client(), make_key(kind="publishable")
    assert create(client, key).status_code == 201
    app.config["RATELIMIT_PUBLIC_IP"] = "1/minute"
    assert create(client, key, ip="10.0.0.9").status_code == 201
    assert create(client, key, ip="10.0.0.9").status_code == 429


def test_the_environment_sets_the_limits(gunicorn, make_key):
    base = gunicorn(workers=1, RATELIMIT_PUBLIC_IP="2/hour")
    key = make_key(kind="publishable")
    statuses = [requests.post(base + "/v1/contacts", json={"email": "a@example.com"}, timeout=10,
                              headers={"Authorization": f"Bearer {key}"}).status_code for _ in range(3)]
    assert statuses == [201, 201, 429]


def test_limits_can_be_switched_off(make_app, make_key):
    client = make_app(RATELIMIT_ENABLED=False, RATELIMIT_SECRET_KEY="1/minute").test_client()
    headers = {"Authorization": f"Bearer {make_key()}"}
    statuses = [client.get("/v1/contacts", headers=headers).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]


def test_the_configured_strategy_counts(make_app, make_key):
    client = make_app(RATELIMIT_STRATEGY="moving-window", RATELIMIT_SECRET_KEY="2/minute").test_client()
    headers = {"Authorization": f"Bearer {make_key()}"}
    statuses = [client.get("/v1/contacts", headers=headers).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_an_unknown_strategy_stops_the_app_from_starting(make_app):
    with pytest.raises(RuntimeError, match="RATELIMIT_STRATEGY must be one of fixed-window, moving-window"):
        make_app(RATELIMIT_STRATEGY="leaky-bucket")


@pytest.mark.parametrize("setting", ["RATELIMIT_PUBLIC_IP", "RATELIMIT_PUBLIC_KEY", "RATELIMIT_SECRET_KEY",
                                     "RATELIMIT_KEY_REQUEST_IP", "RATELIMIT_KEY_REQUEST_EMAIL"])
def test_a_limit_that_does_not_parse_stops_the_app_from_starting(make_app, setting):
    # Read only at request time, it would answer 500 to every request it counts while /healthz says ok.
    with pytest.raises(ConfigError, match=f'^{setting} must be a rate limit such as "60/minute"'):
        make_app(**{setting: "lots"})


def test_every_v1_answer_carries_the_standard_rate_limit_headers(limited_app, make_key):
    client = limited_app(RATELIMIT_SECRET_KEY="3/minute")
    headers = {"Authorization": f"Bearer {make_key()}"}
    contact = create(client, make_key("other@example.com", kind="publishable")).get_json()  # another account
    answers = [client.get("/v1/contacts", headers=headers),
               client.get(f"/v1/contacts/{contact['id']}", headers=headers),  # 404 in this account
               client.get("/v1/people/a@example.com", headers=headers),
               client.get("/v1/contacts", headers=headers)]
    assert [a.status_code for a in answers] == [200, 404, 200, 429]
    for remaining, answer in zip(("2", "1", "0", "0"), answers):
        assert answer.headers["RateLimit-Limit"] == answer.headers["X-RateLimit-Limit"] == "3"
        assert answer.headers["RateLimit-Remaining"] == answer.headers["X-RateLimit-Remaining"] == remaining
        # Seconds until the window resets (the X- header is the Unix time it resets at).
        assert 0 <= int(answer.headers["RateLimit-Reset"]) <= 61
        assert int(answer.headers["X-RateLimit-Reset"]) > 10**9


def test_a_cross_origin_page_may_read_the_standard_headers(limited_app, make_key):
    response = create(limited_app(), make_key(kind="publishable"))
    exposed = response.headers["Access-Control-Expose-Headers"]
    assert {"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"} <= set(exposed.split(", "))
