"""The key a submission names, the first steps of the submit flow (submit.py): the request counted (a secret
key's budget, else the client IP's), the key authenticated, a secret key refused from browsers."""
from flask import g

from . import keys, ratelimits
from .errors import MESSAGES
from .payloads import PayloadError
from .submit_errors import SubmitError

MISSING_KEY = "Missing API key. Send Authorization: Bearer <key>."
INVALID_KEY = "Invalid API key."
SECRET_IN_BROWSER = "Secret keys must never be used in a web page: use a publishable key (ck_pub_…) here."


def read_and_count(visit):
    """(the body, the Principal of its key or None), the request counted first against one budget: a secret
    key's own, wherever the key came from (Authorization or an access_key in the body): "per key only";
    else the client's IP, whatever the body holds, so a body the reader refuses, a missing or an invalid key
    are limited too. The body is read before the count because only the body may name the key; at most
    MAX_CONTENT_LENGTH, and a 429 still wins over the body's own refusal."""
    header_principal = keys.authenticate(visit.bearer_key) if visit.bearer_key else None
    try:
        body = visit.read_body()
    except PayloadError as error:
        _count(header_principal)
        raise SubmitError(error.status, error.message, error.code) from None
    raw_key = _stripped(_raw_key(visit, body))
    principal = header_principal if raw_key == visit.bearer_key else keys.authenticate(raw_key)
    _count(principal)
    return body, principal


def _count(principal):
    """Count the request against a secret key's budget only, else against the client's IP."""
    if principal is not None and principal.is_secret:
        g.principal = principal
        _within_limit(ratelimits.count_key, principal)
    else:
        _within_limit(ratelimits.count_client_ip)


def _within_limit(count, *args):
    """count(*args), its RateLimited a SubmitError (429)."""
    try:
        count(*args)
    except ratelimits.RateLimited:
        raise SubmitError(429, MESSAGES[429], "rate_limited") from None


def _raw_key(visit, body):
    """The key the request names: in the path (/f/<key>), else Authorization, else the body's access_key."""
    return next((key for key in (visit.path_key, visit.bearer_key) if key is not None), body.get("access_key"))


def _stripped(raw_key):
    return raw_key.strip() if isinstance(raw_key, str) else raw_key


def authenticate(visit, body, principal):
    """The request's Principal (401 when its key is missing, disabled or invalid); a publishable key is
    counted against its own budget too (its client IP already was)."""
    raw_key = _raw_key(visit, body)
    if raw_key is None or raw_key == "" and visit.bearer_key is None:
        raise SubmitError(401, MISSING_KEY, "missing_api_key", field="access_key")
    raw_key = _stripped(raw_key)
    if principal is None and keys.is_disabled(raw_key):
        raise SubmitError(401, INVALID_KEY, "key_disabled", field="access_key")
    if principal is None:
        raise SubmitError(401, INVALID_KEY, "invalid_api_key", field="access_key")
    g.principal = principal
    if not principal.is_secret:
        _within_limit(ratelimits.count_key, principal)
    return principal


def refuse_secret_keys_from_browsers(door, visit, principal):
    if principal.is_secret and (visit.from_browser or not door.secret_keys):
        raise SubmitError(403, SECRET_IN_BROWSER, "secret_key_in_browser", field="access_key")
