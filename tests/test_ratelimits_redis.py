"""With RATELIMIT_STORAGE_URI=redis://…, every worker of every server counts against one limit."""
import os

import pytest
import requests

REDIS_URL = os.environ.get("TEST_REDIS_URL")
pytestmark = pytest.mark.skipif(
    not REDIS_URL, reason="set TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/5) to test limits shared through Redis"
)


@pytest.fixture
def redis_url():
    """TEST_REDIS_URL, its database emptied (it is this test run's own database)."""
    import redis

    connection = redis.Redis.from_url(REDIS_URL)
    connection.flushdb()
    yield REDIS_URL
    connection.flushdb()
    connection.close()


def test_two_servers_with_two_workers_each_share_one_limit(gunicorn, make_key, redis_url):
    settings = {"RATELIMIT_STORAGE_URI": redis_url, "RATELIMIT_PUBLIC_IP": "6/hour"}
    servers = [gunicorn(workers=2, **settings), gunicorn(workers=2, **settings)]
    key = make_key(kind="publishable")
    statuses = []
    for n in range(12):
        # a new connection each time, so the two workers of each server both take requests
        response = requests.post(servers[n % 2] + "/v1/contacts", json={"email": f"v{n}@example.com"},
                                 headers={"Authorization": f"Bearer {key}", "Connection": "close"}, timeout=10)
        statuses.append(response.status_code)
    assert statuses == [201] * 6 + [429] * 6


def test_a_secret_keys_bulk_budget_is_shared_too(gunicorn, make_key, redis_url):
    base = gunicorn(workers=2, RATELIMIT_STORAGE_URI=redis_url, RATELIMIT_SECRET_KEY="5/hour")
    headers = {"Authorization": f"Bearer {make_key()}", "Connection": "close"}
    statuses = [requests.get(base + "/v1/contacts", headers=headers, timeout=10).status_code for _ in range(8)]
    assert statuses == [200] * 5 + [429] * 3


def test_healthz_says_ok_while_redis_answers(make_app, redis_url):
    response = make_app(RATELIMIT_STORAGE_URI=redis_url).test_client().get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok", "ratelimit": "ok"}


def test_counts_keep_the_keys_of_the_release_that_counted_through_flask_limiter(make_app, make_key, redis_url):
    """A rolling upgrade shares one budget between the releases: the same `limits` strategy on the same store
    writes the same keys (LIMITS: is the store's prefix, then the scope, the key's id and the limit)."""
    import redis

    client = make_app(RATELIMIT_STORAGE_URI=redis_url, RATELIMIT_SECRET_KEY="5/hour").test_client()
    for _ in range(2):
        assert client.get("/v1/contacts", headers={"Authorization": f"Bearer {make_key()}"}).status_code == 200
    store = redis.Redis.from_url(redis_url)
    keys = sorted(key.decode() for key in store.keys("LIMITS:*"))
    store.close()
    assert len(keys) == 2 and all(key.startswith("LIMITS:LIMITER/secret-key/key_") and key.endswith("/5/1/hour")
                                  for key in keys), keys
