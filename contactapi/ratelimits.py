"""Rate limits, by who is calling: the one module that counts them.

Publishable keys (public forms): per client IP and per key. Secret keys (backends): per key only, so a bulk
import is never throttled by its address. Requests without a valid key count against their IP. The doors
that mail links (key requests, sign-in) share one budget per IP.

The public doors (submit.py) read the body first, because only the body may name the key (an `access_key`
field), then count one budget: a secret key's own, whether it came in Authorization or in the body (per key
only: a backend's import never spends the public budget of its address); else the client's IP, whatever the
body holds (a body the reader refuses and a missing or invalid key too, so malformed bodies are limited, and
a 429 wins over their 400); then a valid publishable key's own budget as well. Secret-key endpoints call
`enforce()` after authentication. The buckets are shared by all endpoints (scope), so one key has one budget whichever door
it uses.

Why counting is written this way (issue 14): each rule is one `hit` on a strategy of `limits`, the library
Flask-Limiter counts with, on RATELIMIT_STORAGE_URI with RATELIMIT_STORAGE_OPTIONS and RATELIMIT_STRATEGY,
as Flask-Limiter builds them: the same keys in the same store. Flask-Limiter itself is not bound: bound, it
resolves the limits declared for every request in hooks of its own, and with none declared that pass (no
public switch turns it off) cost 18 % of the instructions of a read by id and 9 % of a create. The limit
strings are parsed once per distinct value (they are read from the config at request time, so tests and the
environment can change them). memory:// counts in ratelimit_memory's storage, which starts no thread. While
the shared store cannot be reached each worker counts in its own memory and checks the store again after a
back-off (ratelimit_store.py).
"""
import math
import time
from dataclasses import dataclass
from functools import lru_cache, wraps

from flask import current_app, g, request
from limits import RateLimitItem, parse_many
from werkzeug.exceptions import TooManyRequests

from .config import ConfigError
from .ratelimit_store import Counter
from .response_headers import set_all

PUBLIC_IP = ("RATELIMIT_PUBLIC_IP", "public-ip")
PUBLIC_KEY = ("RATELIMIT_PUBLIC_KEY", "public-key")
SECRET_KEY = ("RATELIMIT_SECRET_KEY", "secret-key")
KEY_REQUEST_IP = ("RATELIMIT_KEY_REQUEST_IP", "key-request-ip")
# Every limit string read at request time (mail_limits.py reads the last), so each is parsed at startup too.
LIMIT_SETTINGS = (PUBLIC_IP[0], PUBLIC_KEY[0], SECRET_KEY[0], KEY_REQUEST_IP[0], "RATELIMIT_KEY_REQUEST_EMAIL")
_STATE = "contactapi.ratelimits"  # app.extensions key of this worker's Counter (ratelimit_store.py)
_COUNTED = "_ratelimit_counted"  # g attribute: the budgets this request was counted against, in order


class RateLimited(TooManyRequests):
    """The budget this request was counted against is spent (429)."""


@lru_cache(maxsize=64)
def _items(text):
    """The limits a config value like "60/minute" (or "10/second;600/minute") sets, parsed once."""
    return tuple(parse_many(text))


def check_limits(config):
    """ConfigError naming the first limit setting that does not parse: the app refuses to start rather than
    answer 500 to every request that setting counts."""
    for name in LIMIT_SETTINGS:
        try:
            _items(config[name])
        except (ValueError, TypeError):
            raise ConfigError(f'{name} must be a rate limit such as "60/minute" or "10/second;600/minute", '
                              f"not {config[name]!r} (see README: Configuration)") from None


@dataclass
class _Counted:
    """A budget a request was counted against, and where: enough to describe it in headers."""

    strategy: object
    item: RateLimitItem
    identifiers: tuple
    window: object = None

    def stats(self):
        if self.window is None:
            self.window = self.strategy.get_window_stats(self.item, *self.identifiers)
        return self.window


def _counter():
    return current_app.extensions[_STATE]


def _count(rule, identity):
    """One hit per limit the rule's config value sets, against identity's bucket; RateLimited when one
    is spent. Each budget counted is kept for the headers."""
    config_name, scope = rule
    config = current_app.config
    if not config["RATELIMIT_ENABLED"]:
        return
    counter = _counter()
    identifiers = (scope, identity or "-")
    for item in _items(config[config_name]):
        strategy, allowed = counter.hit(item, identifiers)
        setattr(g, _COUNTED, (*g.get(_COUNTED, ()), _Counted(strategy, item, identifiers)))
        if not allowed:
            raise RateLimited()


def client_ip():
    """The client's address (the one the outermost trusted proxy saw: see register_proxy_fix)."""
    return request.remote_addr or "127.0.0.1"


def count_client_ip():
    """Count a request against its client's IP: every request to a public door before its body is judged,
    and every request whose key is missing or invalid."""
    _count(PUBLIC_IP, client_ip())


def count_key(principal):
    """Count this request against principal's key; RateLimited (429) when its budget is spent."""
    _count(SECRET_KEY if principal.is_secret else PUBLIC_KEY, principal.key_id)


def enforce():
    """Count a secret-key endpoint's request: against the key in g.principal, else (no valid key) the IP."""
    principal = g.get("principal")
    if principal is None:
        count_client_ip()
    else:
        count_key(principal)


def limit_mail_doors(view):
    """Count a POST to a door that mails links against the client's IP (the key-request budget)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if request.method == "POST":
            _count(KEY_REQUEST_IP, client_ip())
        return view(*args, **kwargs)

    return wrapper


def seconds_until_reset():
    """Seconds until the budget this request was counted against starts again, or None."""
    counted = _counted_now()
    return None if counted is None else max(0, math.ceil(counted.stats().reset_time - time.time()))


def _counted_now():
    """Of the budgets counted for this request, the one closest to running out (the one a 429 came from, or
    the next to refuse: a form post's client IP rather than its key, while the IP has fewer left), when it may
    be shown and the store still answers."""
    counted = g.get(_COUNTED)
    if not counted or not current_app.config["RATELIMIT_HEADERS_ENABLED"]:
        return None
    try:
        return min(counted, key=lambda budget: budget.stats().remaining)
    except Exception:  # the store went away since: no headers rather than a failed answer
        return None


_WARNED = "contactapi.ratelimit_degraded_warned"  # app.extensions key: this worker has logged it
_STANDARD = "contactapi.ratelimit_standard_headers"  # app.extensions key: blueprints announce_standard_headers named


def storage_state():
    """"ok" when the shared store answers (memory:// always does); "degraded" while it cannot be reached and
    each worker counts in its own memory; "disabled" when RATELIMIT_ENABLED is false."""
    if not current_app.config["RATELIMIT_ENABLED"]:
        return "disabled"
    return "ok" if _counter().storage.check() else "degraded"


def _warn_once_when_degraded(app):
    counter = app.extensions.get(_STATE)
    if counter is not None and counter.in_memory and not app.extensions.get(_WARNED):
        app.extensions[_WARNED] = True
        app.logger.warning("Rate-limit storage %s is unreachable: limits now count in this worker's memory only "
                           "(each worker allows the full limit) until it is back.",
                           app.config["RATELIMIT_STORAGE_URI"].rpartition("@")[2])  # no password in the log


def _after_request(response):
    """Log, once per worker, when limits fall back to memory; the rate-limit headers on every counted answer,
    in one pass: one hook, one read of the window, one scan of the headers already there."""
    app = current_app._get_current_object()
    _warn_once_when_degraded(app)
    counted = _counted_now()
    if counted is not None:
        set_all(response.headers, _headers(counted, request.blueprint in app.extensions[_STANDARD],
                                           refused=response.status_code == 429))
    return response


def _headers(counted, standard, refused):
    """X-RateLimit-Limit, -Remaining and -Reset (a Unix time) for the budget this request is closest to
    running out of; Retry-After (seconds) too when it was refused for it (a 429: on any other answer the
    header would tell a client to wait before its next request); if standard, RateLimit-Limit, -Remaining
    and -Reset (IETF draft: seconds until the window resets)."""
    window, now = counted.stats(), time.time()
    reset_at = int(window.reset_time + 1)
    limit, remaining = str(counted.item.amount), str(window.remaining)
    pairs = [("X-RateLimit-Limit", limit), ("X-RateLimit-Remaining", remaining), ("X-RateLimit-Reset", str(reset_at))]
    if refused:
        pairs.append(("Retry-After", str(max(0, int(reset_at - now)))))
    if standard:
        pairs += [("RateLimit-Limit", limit), ("RateLimit-Remaining", remaining),
                  ("RateLimit-Reset", str(max(0, math.ceil(window.reset_time - now))))]
    return pairs


def announce_standard_headers(blueprint):
    """Give every counted answer of blueprint the RateLimit-* headers too (the JSON API and the form doors)."""
    blueprint.record_once(lambda state: state.app.extensions[_STANDARD].add(state.name))


def init_app(app):
    """Every limit setting checked; the app's counts on its configured store; headers on every counted answer;
    log, once per worker, when limits fall back to memory."""
    check_limits(app.config)
    app.extensions[_STATE] = Counter(app.config)
    app.extensions[_STANDARD] = set()
    app.after_request(_after_request)
