"""Who is calling: the key from `Authorization: Bearer …` (or a form's access_key) and what it may do."""
from functools import wraps

from flask import g, request

from .. import keys, ratelimits
from ..errors import render_error
from ..submit_keys import INVALID_KEY, MISSING_KEY


class AuthError(Exception):
    def __init__(self, status, message, code):
        super().__init__(message)
        self.status, self.message, self.code = status, message, code

    def response(self):
        return render_error(self.status, self.message, self.code)


def bearer_key():
    """The key in the Authorization header; "" when the header is there but not a Bearer token."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def authenticate(raw_key, secret_only):
    """The Principal for raw_key, or AuthError: 401 for every kind of bad key, 403 for the wrong kind."""
    if raw_key is None:
        raise AuthError(401, MISSING_KEY, "missing_api_key")
    principal = keys.authenticate(raw_key)
    if principal is None:
        raise AuthError(401, INVALID_KEY, "invalid_api_key")
    if secret_only and not principal.is_secret:
        raise AuthError(403, "This endpoint needs a secret key (ck_secret_…).", "secret_key_required")
    return principal


def secret_key_required(view):
    """Run view with g.principal set from a secret key in the Authorization header, once the
    request is counted against that key's rate limit (or, without a valid key, the client's IP)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        try:
            g.principal = authenticate(bearer_key(), secret_only=True)
        except AuthError as error:
            ratelimits.enforce()
            return error.response()
        ratelimits.enforce()
        return view(*args, **kwargs)

    return wrapper
