"""Configuration classes: every setting the contract names, read from the environment."""
import math
import os
from datetime import timedelta


class ConfigError(RuntimeError):
    """A setting the app cannot start with: the message names it and says what it must be."""


def whole_number(name, value, minimum=None):
    """value (the environment's text, or an int set in code) as an int; ConfigError when it is not a whole
    number, or is below minimum."""
    try:
        number = int(str(value).strip())
    except ValueError:
        number = None
    if number is None or (minimum is not None and number < minimum):
        expected = "a whole number" + (f" of at least {minimum}" if minimum is not None else "")
        raise ConfigError(f"{name} must be {expected}, not {value!r} (see README: Configuration)")
    return number


def _number(name, value, positive=False):
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or number < 0 or (positive and number == 0):
        expected = "a number of seconds" + (" above 0" if positive else " of at least 0")
        raise ConfigError(f"{name} must be {expected}, not {value!r} (see README: Configuration)")
    return number


def env_int(name, default, minimum=None):
    """The environment's whole number for name (at least minimum), default when it is unset or empty."""
    value = os.environ.get(name)
    return whole_number(name, value, minimum) if value not in (None, "") else default


def _env_float(name, default, positive=False):
    value = os.environ.get(name)
    return _number(name, value, positive) if value not in (None, "") else default


def _env_seconds(name, default):
    """A comma-separated list of seconds, e.g. DELIVERY_RETRY_SCHEDULE=60,300,1800."""
    value = os.environ.get(name)
    return [_number(name, part) for part in value.split(",") if part.strip()] if value else default


def _env_bool(name, default=False):
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


# The built-in key of `make run`: public, so create_app refuses it in any other environment.
DEVELOPMENT_SECRET_KEY = "dev-only-secret-key-change-me"


def secret_keys(config):
    """SECRET_KEY, then each of SECRET_KEY_FALLBACKS: every key that what was signed, sealed or digested before
    a rotation may have been made with, the current one first (it is the one that makes new ones)."""
    return [config["SECRET_KEY"], *config.get("SECRET_KEY_FALLBACKS", [])]


def signing_keys(config):
    """secret_keys as itsdangerous takes them: it signs with the last and accepts a signature by any."""
    return secret_keys(config)[::-1]


class Config:
    """Production defaults; every value can be overridden by an environment variable."""

    ENVIRONMENT = "production"
    SECRET_KEY = os.environ.get("SECRET_KEY")
    # Earlier SECRET_KEYs, comma-separated: still accepted after a rotation (sessions, mailed links, sealed
    # secrets, digests: secret_keys).
    SECRET_KEY_FALLBACKS = [k for k in os.environ.get("SECRET_KEY_FALLBACKS", "").split(",") if k]
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")  # None: SQLite in the instance folder
    SQLALCHEMY_ENGINE_OPTIONS = {}
    SQLITE_BUSY_TIMEOUT = 30  # seconds a writer waits for the SQLite write lock

    # Bodies larger than this get 413 before they are parsed.
    MAX_CONTENT_LENGTH = 64 * 1024
    MAX_JSON_DEPTH = 16
    # What one contact may hold after a merge, and how many of its submissions are kept (newest first).
    MAX_CONTACT_BYTES = env_int("MAX_CONTACT_BYTES", 64 * 1024)
    MAX_CONTACT_FIELDS = env_int("MAX_CONTACT_FIELDS", 200)
    SUBMISSIONS_PER_CONTACT = env_int("SUBMISSIONS_PER_CONTACT", 1000)
    # The spam folder keeps at most this many submissions per account (the oldest go first), for this many days.
    SPAM_FOLDER_LIMIT = env_int("SPAM_FOLDER_LIMIT", 10_000)
    SPAM_KEEP_DAYS = env_int("SPAM_KEEP_DAYS", 30)

    MAIL_SERVER = os.environ.get("MAIL_SERVER")  # None: mails are written to the log
    MAIL_PORT = env_int("MAIL_PORT", 25)
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS")
    MAIL_USE_SSL = _env_bool("MAIL_USE_SSL")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "contactapi <no-reply@localhost>")
    MAIL_TIMEOUT = env_int("MAIL_TIMEOUT", 10)  # seconds each read from the mail server may take
    MAIL_SEND_DEADLINE = env_int("MAIL_SEND_DEADLINE", 60)  # seconds one whole sending may take

    # The outbox (README: Deliveries). Background threads per web process that send it (0: only
    # `flask deliveries work` sends); how often an idle worker looks; how long a claimed delivery is held
    # (longer than any sending can take, so it is never sent twice); the waits between attempts.
    DELIVERY_EMBEDDED_WORKERS = env_int("DELIVERY_EMBEDDED_WORKERS", 1)
    DELIVERY_POLL_INTERVAL = _env_float("DELIVERY_POLL_INTERVAL", 1, positive=True)  # 0 would spin a core
    DELIVERY_LEASE = env_int("DELIVERY_LEASE", 300, minimum=1)
    # Deliveries a worker claims (and records) in one transaction.
    DELIVERY_BATCH = env_int("DELIVERY_BATCH", 10, minimum=1)
    # Embedded workers give way to the requests their process serves: a due delivery waits for a pause in
    # them (deliveries/traffic.py), but never longer than this many seconds past its due time (0: no waiting).
    DELIVERY_MAX_LAG = _env_float("DELIVERY_MAX_LAG", 30)
    DELIVERY_RETRY_SCHEDULE = _env_seconds(
        "DELIVERY_RETRY_SCHEDULE", [60, 300, 1800, 7200, 21600, 43200, 43200, 43200, 43200, 43200])
    WEBHOOK_ALLOW_HTTP = _env_bool("WEBHOOK_ALLOW_HTTP")  # http:// webhook URLs (tests, LANs)
    WEBHOOK_ALLOW_PRIVATE = _env_bool("WEBHOOK_ALLOW_PRIVATE")  # loopback/private addresses (tests, LANs)

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
    # Never negative: ProxyFix would then trust a hop the client wrote itself (and fail on it).
    TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 0, minimum=0)

    # Challenges (README: Stopping spam). ALTCHA's proof-of-work cost (PBKDF2 iterations per attempt) and how
    # long a challenge may be solved and used; the providers' verify URLs (tests point them at a local
    # verifier) and the deadline of that one call, after which the challenge counts as failed.
    ALTCHA_COST = env_int("ALTCHA_COST", 5000)
    ALTCHA_EXPIRY = env_int("ALTCHA_EXPIRY", 600)
    TURNSTILE_VERIFY_URL = os.environ.get("TURNSTILE_VERIFY_URL",
                                          "https://challenges.cloudflare.com/turnstile/v0/siteverify")
    HCAPTCHA_VERIFY_URL = os.environ.get("HCAPTCHA_VERIFY_URL", "https://api.hcaptcha.com/siteverify")
    RECAPTCHA_VERIFY_URL = os.environ.get("RECAPTCHA_VERIFY_URL", "https://www.google.com/recaptcha/api/siteverify")
    CHALLENGE_VERIFY_DEADLINE = 3  # seconds

    # Autoresponders (README: Autoresponders and double opt-in): they mail strangers on the instance's name,
    # so they are off unless the operator turns them on, and limited per address, client, account, instance.
    AUTORESPONDERS = _env_bool("AUTORESPONDERS")
    AUTORESPONDER_IP_HOURLY_LIMIT = env_int("AUTORESPONDER_IP_HOURLY_LIMIT", 10)
    AUTORESPONDER_DAILY_LIMIT = env_int("AUTORESPONDER_DAILY_LIMIT", 200)
    AUTORESPONDER_INSTANCE_DAILY_LIMIT = env_int("AUTORESPONDER_INSTANCE_DAILY_LIMIT", 2000)

    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    MAX_ACTIVE_KEYS = env_int("MAX_ACTIVE_KEYS", 10)
    MAGIC_LINK_MAX_AGE = env_int("MAGIC_LINK_MAX_AGE", 30 * 60)
    # How long a worker may trust a cached key lookup; a disabled key stops working within this.
    KEY_CACHE_TTL = env_int("KEY_CACHE_TTL", 2)

    # A dashboard sign-in lasts this long (Flask checks the cookie's signed timestamp), then a new link is needed.
    PERMANENT_SESSION_LIFETIME = timedelta(hours=env_int("DASHBOARD_SESSION_HOURS", 12))
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", BASE_URL.startswith("https://"))
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session


class DevelopmentConfig(Config):
    ENVIRONMENT = "development"
    SECRET_KEY = Config.SECRET_KEY or DEVELOPMENT_SECRET_KEY
    AUTORESPONDERS = _env_bool("AUTORESPONDERS", True)


class TestConfig(Config):
    ENVIRONMENT = "testing"
    TESTING = True
    SECRET_KEY = "test-secret-key"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL")
    RATELIMIT_STORAGE_URI = "memory://"
    MAIL_SERVER = None
    BASE_URL = "http://localhost"
    # Tests drive the outbox themselves (deliveries.worker.drain) or start workers where they test them.
    DELIVERY_EMBEDDED_WORKERS = 0
    DELIVERY_POLL_INTERVAL = 0.05
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
    name = os.environ.get("CONTACTAPI_ENV", "production")
    if name not in CONFIGS:
        raise ConfigError(f"CONTACTAPI_ENV must be one of {', '.join(CONFIGS)}, not {name!r} "
                          "(see README: Configuration)")
    return CONFIGS[name]
