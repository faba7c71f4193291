"""A rate-limit store that is down never fails a request: limits fall back to each worker's memory, the
fallback is logged once per worker at WARNING, and /healthz says "degraded" while still answering 200."""
import logging

import requests

DEAD_REDIS = "redis://:hunter2@127.0.0.1:1/0"


def test_requests_still_succeed_and_are_limited_when_redis_is_down(make_app, make_key):
    app = make_app(RATELIMIT_STORAGE_URI=DEAD_REDIS, RATELIMIT_SECRET_KEY="3/minute")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {make_key()}"}
    statuses = [client.post("/v1/contacts", json={"email": f"a{i}@example.com"}, headers=headers).status_code
                for i in range(4)]
    assert statuses == [201, 201, 201, 429]


def test_the_fallback_is_logged_once_and_shown_on_healthz(make_app, make_key, caplog):
    app = make_app(RATELIMIT_STORAGE_URI=DEAD_REDIS)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {make_key()}"}
    with caplog.at_level(logging.WARNING, logger=app.logger.name):
        for n in range(5):
            assert client.post("/v1/contacts", json={"email": f"a{n}@example.com"}, headers=headers).status_code == 201
        health = client.get("/healthz")
    assert health.status_code == 200
    assert health.get_json() == {"status": "ok", "ratelimit": "degraded"}
    warnings = [r for r in caplog.records if r.name == app.logger.name and r.levelno == logging.WARNING]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    assert "in this worker's memory" in warnings[0].getMessage() and "hunter2" not in warnings[0].getMessage()


def test_a_hung_redis_counts_as_down_after_a_short_timeout(make_app, make_key):
    """A Redis that accepts connections and never answers: each call gives up after REDIS_TIMEOUT (not redis-py's
    own wait), and requests and /healthz go on as with a Redis that is down."""
    import socket

    from contactapi.ratelimit_store import REDIS_TIMEOUT
    hung = socket.socket()
    hung.bind(("127.0.0.1", 0))
    hung.listen(16)  # the kernel completes each connection; nobody ever reads from it
    try:
        app = make_app(RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{hung.getsockname()[1]}/0")
        client = app.test_client()
        assert client.post("/v1/contacts", json={"email": "a@example.com"},
                           headers={"Authorization": f"Bearer {make_key()}"}).status_code == 201
        assert client.get("/healthz").get_json() == {"status": "ok", "ratelimit": "degraded"}
        options = app.extensions["contactapi.ratelimits"].storage.storage.connection_pool.connection_kwargs
        assert options["socket_timeout"] == options["socket_connect_timeout"] == REDIS_TIMEOUT
    finally:
        hung.close()
    own = make_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0", RATELIMIT_STORAGE_OPTIONS={"socket_timeout": 2})
    assert own.extensions["contactapi.ratelimits"].storage.storage.connection_pool.connection_kwargs[
        "socket_timeout"] == 2  # the operator's own options win


def test_healthz_says_ok_while_the_store_answers(make_app):
    assert make_app(RATELIMIT_STORAGE_URI="memory://").test_client().get("/healthz").get_json() == \
        {"status": "ok", "ratelimit": "ok"}


def test_each_gunicorn_worker_logs_the_fallback_once(gunicorn, make_key, tmp_path):
    log_path = tmp_path / "gunicorn.log"
    with open(log_path, "w") as output:
        base = gunicorn(workers=2, output=output, RATELIMIT_STORAGE_URI=DEAD_REDIS, GUNICORN_ACCESS_LOG="")
        headers = {"Authorization": f"Bearer {make_key()}"}
        for n in range(12):
            response = requests.post(f"{base}/v1/contacts", json={"email": f"g{n}@example.com"}, headers=headers,
                                     timeout=10)
            assert response.status_code == 201
        assert requests.get(f"{base}/healthz", timeout=10).json()["ratelimit"] == "degraded"
    logged = log_path.read_text()
    assert 1 <= logged.count("in this worker's memory") <= 2, logged  # at most once for each of the 2 workers
    assert "hunter2" not in logged
