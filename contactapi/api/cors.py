"""CORS for pages that call POST /v1/contacts with fetch() and a publishable key.

Any origin may ask (the preflight says nothing about keys); whether a page may read the answer depends on
the key that came with the real request: only an origin its domain lock admits gets
Access-Control-Allow-Origin. Secret-key endpoints get nothing CORS, so browsers cannot call them."""
from flask import g, make_response, request

from .. import origins

ALLOWED_METHODS = "POST"
ALLOWED_HEADERS = "Authorization, Content-Type"
# Let the page see why it was slowed down; these are not CORS-safelisted.
EXPOSED_HEADERS = ("Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, "
                   "RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset")
PREFLIGHT_MAX_AGE = 600  # seconds a browser may reuse a preflight answer


def preflight():
    """The answer to an OPTIONS preflight: the asking origin echoed, POST with our two headers allowed.

    A preflight for any other method (GET, PATCH … on this URL need a secret key) gets no CORS at all."""
    response = make_response("", 204)
    response.vary.add("Origin")
    origin = request.headers.get("Origin")
    if not origin or request.headers.get("Access-Control-Request-Method", "POST").upper() != "POST":
        return response
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
    response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
    response.headers["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
    return response


def admitted_origin(principal, origin):
    """The origin a page may read this answer from, or None: a publishable key's domain lock decides."""
    if principal is None or principal.is_secret or origins.host_of_url(origin) is None:
        return None  # no key, a key that must never be in a page, or an opaque ("null") origin
    return origin if origins.key_admits(principal.domains, origin, None) else None


def add_headers(response):
    """after_this_request callback of a create view: CORS headers for the key in g.principal, if any."""
    response.vary.add("Origin")
    origin = admitted_origin(g.get("principal"), request.headers.get("Origin"))
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    return response
