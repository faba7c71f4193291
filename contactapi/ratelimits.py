"""Rate limits on the contact endpoints, by who is calling.

Publishable keys (public forms): per client IP and per key. Secret keys (backends): per key only, so a bulk
import is never throttled by its address. Requests without a valid key count against their IP.

The key is known only once the view has read the body, so the views call `enforce()` after authentication
rather than decorating the route: each rule below is a Flask-Limiter limit on a small function, checked when
that function runs. Limits are read from the config on every request; the buckets are shared by all
endpoints (scope), so one key has one budget whichever door it uses.
"""
import math
import time

from flask import current_app, g
from flask_limiter.util import get_remote_address

from .extensions import limiter


def configured(name):
    """A limit read from app.config at request time, so the environment and tests can change it."""
    return lambda: current_app.config[name]


def calling_key():
    return g.principal.key_id


per_client_ip = limiter.shared_limit(
    configured("RATELIMIT_PUBLIC_IP"), scope="public-ip", key_func=get_remote_address
)


@per_client_ip
def _count_anonymous():
    """A request whose key was missing or invalid."""


@limiter.shared_limit(configured("RATELIMIT_PUBLIC_KEY"), scope="public-key", key_func=calling_key)
@per_client_ip  # innermost is listed first, so the X-RateLimit headers describe the visitor's own budget
def _count_publishable():
    """A request with a publishable key: both limits are checked together, the first one used up answers."""


@limiter.shared_limit(configured("RATELIMIT_SECRET_KEY"), scope="secret-key", key_func=calling_key)
def _count_secret():
    """A request with a secret key."""


def enforce():
    """Count this request against the limits for g.principal (none: anonymous); RateLimitExceeded is a 429."""
    principal = g.get("principal")
    if principal is None:
        _count_anonymous()
    elif principal.is_secret:
        _count_secret()
    else:
        _count_publishable()



_WARNED = "contactapi.ratelimit_degraded_warned"  # app.extensions key: this worker has logged it


def storage_state():
    """"ok" when the shared store answers (memory:// always does); "degraded" while it cannot be reached and
    each worker counts in its own memory; "disabled" when RATELIMIT_ENABLED is false."""
    if not current_app.config["RATELIMIT_ENABLED"]:
        return "disabled"
    return "ok" if limiter.storage.check() else "degraded"


def _counting_in_memory():
    """Flask-Limiter has switched to its in-memory fallback because the configured store failed (and it is
    still down: the switch back happens on a later request, after a back-off)."""
    return limiter.limiter.storage is not limiter.storage and not limiter.storage.check()


def _warn_once_when_degraded(response):
    app = current_app
    if not app.extensions.get(_WARNED) and app.config["RATELIMIT_ENABLED"] and _counting_in_memory():
        app.extensions[_WARNED] = True
        app.logger.warning("Rate-limit storage %s is unreachable: limits now count in this worker's memory only "
                           "(each worker allows the full limit) until it is back.",
                           app.config["RATELIMIT_STORAGE_URI"].rpartition("@")[2])  # no password in the log
    return response


def register(app):
    """Log, once per worker, when limits fall back to memory because the shared store is down."""
    app.after_request(_warn_once_when_degraded)


def add_standard_headers(response):
    """RateLimit-Limit, -Remaining and -Reset (IETF draft: seconds until the window resets) for the limit
    this request was counted against, next to Flask-Limiter's X-RateLimit-* (Reset there is a Unix time)."""
    current = limiter.current_limit
    if current is None or not limiter.enabled or not current_app.config["RATELIMIT_HEADERS_ENABLED"]:
        return response
    response.headers["RateLimit-Limit"] = str(current.limit.amount)
    response.headers["RateLimit-Remaining"] = str(current.remaining)
    response.headers["RateLimit-Reset"] = str(max(0, math.ceil(current.reset_at - time.time())))
    return response
