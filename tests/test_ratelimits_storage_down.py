"""A rate-limit store that is down never fails a request: limits fall back to each worker's memory."""


def test_requests_still_succeed_and_are_limited_when_redis_is_down(make_app, make_key):
    app = make_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0", RATELIMIT_SECRET_KEY="3/minute")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {make_key()}"}
    statuses = [client.post("/v1/contacts", json={"email": f"a{i}@example.com"}, headers=headers).status_code
                for i in range(4)]
    assert statuses == [201, 201, 201, 429]
