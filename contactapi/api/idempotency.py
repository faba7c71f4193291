"""The Idempotency-Key header on /v1 writes: one decorator, placed under the view's route (and under
secret_key_required where there is one). The rules live in contactapi/idempotency.py."""
from functools import wraps

from flask import g, make_response, request

from .. import idempotency, ratelimits
from ..errors import json_error
from ..payloads import PayloadError, request_bytes
from .auth import AuthError, authenticate, bearer_key

HEADER = "Idempotency-Key"


def _caller():
    """(principal, counted): the key already proven by secret_key_required, else the Authorization header's.

    counted says whether this request was already counted against the rate limits."""
    if g.get("principal") is not None:
        return g.principal, True
    raw_key = bearer_key()
    if not raw_key:
        raise idempotency.IdempotencyError(
            401, "idempotency_key_needs_bearer", f"{HEADER} needs the API key in the Authorization header.")
    g.principal = authenticate(raw_key, secret_only=False)
    return g.principal, False


def _replay(answer):
    response = make_response(answer.body, answer.status)
    for name, value in answer.headers.items():
        response.headers[name] = value
    response.headers["Idempotent-Replayed"] = "true"
    return response


def answer_holds_secret():
    """Said by a view whose answer shows a secret once: if it is kept for replays, it is kept sealed."""
    g.idempotent_answer_holds_secret = True


def idempotent(view):
    """Honour Idempotency-Key: do the work once per key and API key, replay its answer for 24 hours."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if HEADER not in request.headers:
            return view(*args, **kwargs)
        counted = True
        try:
            principal, counted = _caller()
            key = idempotency.check_key(request.headers[HEADER])
            body = request_bytes(request)  # kept, so the view reads the same bytes
            outcome = idempotency.begin(principal.account_id, principal.key_id, key, idempotency.fingerprints(
                request.method, request.path, request.mimetype, body))
        except AuthError:
            return view(*args, **kwargs)  # the view refuses the key in its own words
        except (idempotency.IdempotencyError, PayloadError) as error:
            _count_unless(counted)
            return json_error(error.status, error.message, error.code)
        if isinstance(outcome, idempotency.StoredAnswer):
            _count_unless(counted)
            return _replay(outcome)
        try:
            response = make_response(view(*args, **kwargs))
        except BaseException:
            idempotency.release(outcome)
            raise
        if response.status_code < 400 and not response.is_streamed:
            headers = {name: response.headers[name] for name in idempotency.REPLAYED_HEADERS
                       if name in response.headers}
            idempotency.complete(outcome, response.status_code, headers, response.get_data(as_text=True),
                                 holds_secret=g.get("idempotent_answer_holds_secret", False))
        else:  # refused or failed: nothing was done, so the key stays free for a corrected retry
            idempotency.release(outcome)
        return response

    return wrapper


def _count_unless(counted):
    """A request answered here, without its view, still counts against the caller's rate limits."""
    if not counted:
        ratelimits.enforce()
