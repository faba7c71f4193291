"""Forwarded headers change nothing unless TRUSTED_PROXIES says proxies stand in front (real gunicorn)."""
import pytest
import requests

from contactapi.config import ConfigError

FORGED_HTTPS = {"X-Forwarded-Proto": "https", "X-Forwarded-Ssl": "on", "X-Forwarded-Protocol": "ssl",
                "Forwarded": "for=203.0.113.9;proto=https"}


def ask_for_keys(base, forwarded_for):
    return requests.post(f"{base}/", json={"email": "ada@example.com", "requestType": "getKeys"},
                         headers={"X-Forwarded-For": forwarded_for}, timeout=10)


def test_without_trusted_proxies_no_forwarded_header_is_believed(gunicorn):
    base = gunicorn(workers=1, RATELIMIT_KEY_REQUEST_IP="2/hour", GUNICORN_ACCESS_LOG="")
    response = requests.get(f"{base}/", headers=FORGED_HTTPS, timeout=10)
    assert response.status_code == 200
    assert "Strict-Transport-Security" not in response.headers
    assert "; Secure" not in response.headers.get("Set-Cookie", "")
    # A client choosing its own address in X-Forwarded-For still spends its own budget.
    statuses = [ask_for_keys(base, f"198.51.100.{n}").status_code for n in range(3)]
    assert statuses == [200, 200, 429]


def test_behind_one_trusted_proxy_its_headers_are_believed(gunicorn):
    base = gunicorn(workers=1, TRUSTED_PROXIES="1", RATELIMIT_KEY_REQUEST_IP="2/hour", GUNICORN_ACCESS_LOG="")
    response = requests.get(f"{base}/", headers=FORGED_HTTPS, timeout=10)
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    statuses = [ask_for_keys(base, f"198.51.100.{n}").status_code for n in range(3)]
    assert statuses == [200, 200, 200]  # each address the proxy saw has a budget of its own


@pytest.mark.parametrize("hops", [-1, "-2", "one", 1.5])
def test_a_negative_or_fractional_count_of_proxies_stops_the_app_from_starting(make_app, hops):
    # ProxyFix would answer 500 to every forwarded request, and trust a hop the client wrote.
    with pytest.raises(ConfigError, match="^TRUSTED_PROXIES must be a whole number of at least 0"):
        make_app(TRUSTED_PROXIES=hops)
