"""CORS for the public doors (POST /v1/contacts, /api/contact-api/, /f/<key>, /submit) called with fetch().

Any origin may ask (the preflight says nothing about keys). Whether a page may read an answer: a success
only from an origin the publishable key admits; an error (4xx) from any real origin, so the page's script
can tell its visitor why. Secret-key endpoints get nothing CORS, so browsers cannot call them."""
from flask import g, make_response, request

from . import origins
from .response_headers import set_all, vary_on

ALLOWED_METHODS = "POST"
ALLOWED_HEADERS = ("Authorization", "Content-Type")
# Let the page see why it was slowed down; these are not CORS-safelisted.
EXPOSED_HEADERS = ("Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, "
                   "RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset")
PREFLIGHT_MAX_AGE = 600  # seconds a browser may reuse a preflight answer


def preflight(extra_headers=()):
    """The answer to an OPTIONS preflight: the asking origin echoed, POST with our headers allowed.

    A preflight for any other method (GET, PATCH … on /v1/contacts need a secret key) gets no CORS at all."""
    response = make_response("", 204)
    vary_on(response, "Origin")
    origin = request.headers.get("Origin")
    if not origin or request.headers.get("Access-Control-Request-Method", "POST").upper() != "POST":
        return response
    set_all(response.headers, (
        ("Access-Control-Allow-Origin", origin),
        ("Access-Control-Allow-Methods", ALLOWED_METHODS),
        ("Access-Control-Allow-Headers", ", ".join(ALLOWED_HEADERS + tuple(extra_headers))),
        ("Access-Control-Max-Age", str(PREFLIGHT_MAX_AGE)),
    ))
    return response


def readable_by(principal, origin, status):
    """The origin a page may read this answer from, or None.

    Errors (4xx) are readable by any real origin; a success only by an origin the publishable key admits."""
    if origins.host_of_url(origin) is None:
        return None  # no Origin, or an opaque ("null") one
    if 400 <= status < 500:
        return origin
    if principal is None or principal.is_secret or not 200 <= status < 300:
        return None  # no key, a key that must never be in a page, or a redirect
    return origin if origins.key_admits(principal.domains, origin, None) else None


def add_headers(response):
    """after_this_request callback of a public door: CORS headers for the key in g.principal, if any."""
    vary_on(response, "Origin")
    origin = readable_by(g.get("principal"), request.headers.get("Origin"), response.status_code)
    if origin:
        set_all(response.headers, (("Access-Control-Allow-Origin", origin),
                                   ("Access-Control-Expose-Headers", EXPOSED_HEADERS)))
    return response
