"""Configuration classes: every setting the contract names, read from the environment."""
import os
from datetime import timedelta


def _env_int(name, default):
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def _env_bool(name, default=False):
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


# The built-in key of `make run`: public, so create_app refuses it in any other environment.
DEVELOPMENT_SECRET_KEY = "dev-only-secret-key-change-me"


class Config:
    """Production defaults; every value can be overridden by an environment variable."""

    ENVIRONMENT = "production"
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")  # None: SQLite in the instance folder
    SQLALCHEMY_ENGINE_OPTIONS = {}
    SQLITE_BUSY_TIMEOUT = 30  # seconds a writer waits for the SQLite write lock

    # Bodies larger than this get 413 before they are parsed.
    MAX_CONTENT_LENGTH = 64 * 1024
    MAX_JSON_DEPTH = 16
    # What one contact may hold after a merge, and how many of its submissions are kept (newest first).
    MAX_CONTACT_BYTES = _env_int("MAX_CONTACT_BYTES", 64 * 1024)
    MAX_CONTACT_FIELDS = _env_int("MAX_CONTACT_FIELDS", 200)
    SUBMISSIONS_PER_CONTACT = _env_int("SUBMISSIONS_PER_CONTACT", 1000)

    MAIL_SERVER = os.environ.get("MAIL_SERVER")  # None: mails are written to the log
    MAIL_PORT = _env_int("MAIL_PORT", 25)
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS")
    MAIL_USE_SSL = _env_bool("MAIL_USE_SSL")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "contactapi <no-reply@localhost>")
    MAIL_TIMEOUT = _env_int("MAIL_TIMEOUT", 10)
    # Notifications waiting to be sent per worker; past this they are dropped (and logged), never the submission.
    MAIL_QUEUE_LIMIT = _env_int("MAIL_QUEUE_LIMIT", 1000)

    RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_PUBLIC_IP = os.environ.get("RATELIMIT_PUBLIC_IP", "60/minute")
    RATELIMIT_PUBLIC_KEY = os.environ.get("RATELIMIT_PUBLIC_KEY", "600/minute")
    RATELIMIT_SECRET_KEY = os.environ.get("RATELIMIT_SECRET_KEY", "6000/minute")
    RATELIMIT_KEY_REQUEST_IP = os.environ.get("RATELIMIT_KEY_REQUEST_IP", "20/hour")
    RATELIMIT_KEY_REQUEST_EMAIL = os.environ.get("RATELIMIT_KEY_REQUEST_EMAIL", "5/hour")
    RATELIMIT_HEADERS_ENABLED = True
    # If Redis goes away, keep limiting per worker in memory rather than failing requests.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    TRUSTED_PROXIES = _env_int("TRUSTED_PROXIES", 0)

    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    MAX_ACTIVE_KEYS = _env_int("MAX_ACTIVE_KEYS", 10)
    MAGIC_LINK_MAX_AGE = _env_int("MAGIC_LINK_MAX_AGE", 30 * 60)
    # How long a worker may trust a cached key lookup; a disabled key stops working within this.
    KEY_CACHE_TTL = _env_int("KEY_CACHE_TTL", 2)

    # A dashboard sign-in lasts this long (Flask checks the cookie's signed timestamp), then a new link is needed.
    PERMANENT_SESSION_LIFETIME = timedelta(hours=_env_int("DASHBOARD_SESSION_HOURS", 12))
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", BASE_URL.startswith("https://"))
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session


class DevelopmentConfig(Config):
    ENVIRONMENT = "development"
    SECRET_KEY = Config.SECRET_KEY or DEVELOPMENT_SECRET_KEY


class TestConfig(Config):
    ENVIRONMENT = "testing"
    TESTING = True
    SECRET_KEY = "test-secret-key"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL")
    RATELIMIT_STORAGE_URI = "memory://"
    MAIL_SERVER = None
    BASE_URL = "http://localhost"
    KEY_CACHE_TTL = 0


class ProductionConfig(Config):
    pass


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestConfig,
    "production": ProductionConfig,
}


def config_from_environment():
    """The config class named by CONTACTAPI_ENV (production when unset)."""
    return CONFIGS[os.environ.get("CONTACTAPI_ENV", "production")]
