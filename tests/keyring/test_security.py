"""Every page: security headers, no inline script or style (the CSP forbids them), no outside resources."""
import re

import pytest

from tests.keyring.helpers import post_form

PAGES = ["/", "/signin", "/link/nonsense", "/no-such-page", "/dashboard/keys", "/dashboard/contacts"]


@pytest.fixture
def all_pages(owner, app, make_key):
    """(path, response) of every keyring page, signed in, with a key of each kind."""
    make_key("owner@example.com", "publishable")
    created = post_form(owner, "/dashboard/keys", "/dashboard/keys", kind="secret")
    key_ids = re.findall(r"/dashboard/keys/(key_[a-z0-9]+)", owner.get("/dashboard/keys").get_data(as_text=True))
    paths = PAGES + [f"/dashboard/keys/{key_id}" for key_id in key_ids]
    return [(path, owner.get(path)) for path in paths] + [("created", created)]


def test_security_headers_on_every_page(all_pages):
    for path, response in all_pages:
        headers = response.headers
        csp = headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "form-action 'self'" in csp
        assert "unsafe-inline" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff", path
        assert headers["X-Frame-Options"] == "DENY" and headers["Referrer-Policy"] == "same-origin"


def test_no_inline_code_and_nothing_from_other_origins(all_pages):
    for path, response in all_pages:
        html = response.get_data(as_text=True)
        assert "<script>" not in html and "<style" not in html, path
        assert not re.search(r"<[a-z]+ [^>]*\bstyle=", html), path
        assert not re.search(r"\son[a-z]+=", html), path
        assert not re.search(r'(src|href)="(https?:)?//', html), path


def test_the_session_cookie_is_secure_over_https(make_app):
    app = make_app(SESSION_COOKIE_SECURE=True)
    response = app.test_client().get("/", base_url="https://localhost")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_the_secure_flag_follows_base_url(monkeypatch):
    """Config reads the environment once, at import: load a fresh copy of config.py per BASE_URL."""
    import importlib.util

    from contactapi import config

    for base_url, expected in (("https://contacts.example", True), ("http://127.0.0.1:5000", False)):
        monkeypatch.setenv("BASE_URL", base_url)
        monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
        spec = importlib.util.spec_from_file_location("fresh_config", config.__file__)
        fresh = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(fresh)
        assert fresh.Config.SESSION_COOKIE_SECURE is expected


def test_dashboard_pages_are_not_cached(owner):
    for path in ("/dashboard/keys", "/dashboard/contacts", "/dashboard/export/csv"):
        assert owner.get(path).headers["Cache-Control"] == "no-store"


def test_production_with_an_https_base_url_always_sends_a_secure_cookie(database_url):
    from contactapi import create_app
    from contactapi.config import ProductionConfig

    app = create_app(ProductionConfig, {"SECRET_KEY": "a-real-secret", "SQLALCHEMY_DATABASE_URI": database_url,
                                        "BASE_URL": "https://contacts.example", "SESSION_COOKIE_SECURE": False,
                                        "DELIVERY_EMBEDDED_WORKERS": 0})  # no background worker outliving the test
    response = app.test_client().get("/", base_url="https://contacts.example")
    cookies = response.headers.getlist("Set-Cookie")
    assert cookies and all("; Secure" in cookie for cookie in cookies)


@pytest.mark.parametrize("environment", ["production", "testing"])
def test_the_development_secret_key_is_refused_outside_development(environment, database_url):
    from contactapi import create_app
    from contactapi.config import CONFIGS, DEVELOPMENT_SECRET_KEY, DevelopmentConfig

    with pytest.raises(RuntimeError, match="development key"):
        create_app(CONFIGS[environment], {"SECRET_KEY": DEVELOPMENT_SECRET_KEY, "SQLALCHEMY_DATABASE_URI": database_url})
    app = create_app(DevelopmentConfig, {"SECRET_KEY": DEVELOPMENT_SECRET_KEY, "SQLALCHEMY_DATABASE_URI": database_url})
    assert app.config["SECRET_KEY"] == DEVELOPMENT_SECRET_KEY  # `make run` keeps working
