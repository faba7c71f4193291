"""Rate limits on the contact endpoints, by who is calling.

Publishable keys (public forms): per client IP and per key. Secret keys (backends): per key only, so a bulk
import is never throttled by its address. Requests without a valid key count against their IP.

The public doors count the client's IP first, before the body is read (so malformed bodies are limited
too), then the key once the body named it (submit.py); secret-key endpoints call `enforce()` after
authentication. Each rule below is a Flask-Limiter limit on a small function, checked when that function runs. Limits are read from the config on every request; the buckets are shared by all
endpoints (scope), so one key has one budget whichever door it uses.
"""
from flask import current_app, g
from flask_limiter.util import get_remote_address

from .extensions import limiter


def configured(name):
    """A limit read from app.config at request time, so the environment and tests can change it."""
    return lambda: current_app.config[name]


def calling_key():
    return g.principal.key_id


@limiter.shared_limit(configured("RATELIMIT_PUBLIC_IP"), scope="public-ip", key_func=get_remote_address)
def count_client_ip():
    """Count a request against its client's IP: every request to a public door before its body is judged,
    and every request whose key is missing or invalid."""


@limiter.shared_limit(configured("RATELIMIT_PUBLIC_KEY"), scope="public-key", key_func=calling_key)
def _count_publishable():
    """A publishable key's own budget, whatever address its visitors come from."""


@limiter.shared_limit(configured("RATELIMIT_SECRET_KEY"), scope="secret-key", key_func=calling_key)
def _count_secret():
    """A request with a secret key."""


def count_key(principal):
    """Count this request against principal's key (g.principal); RateLimitExceeded is a 429."""
    if principal.is_secret:
        _count_secret()
    else:
        _count_publishable()


def enforce():
    """Count a secret-key endpoint's request: against the key in g.principal, else (no valid key) the IP."""
    principal = g.get("principal")
    if principal is None:
        count_client_ip()
    else:
        count_key(principal)
