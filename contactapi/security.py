"""Security headers on every response: a strict Content-Security-Policy and the usual companions."""
from flask import request

from .response_headers import set_missing

# Pages load scripts, styles and images from our own origin only (no inline code), are never framed,
# and post their forms only to us.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    # Our own pages still get a Referer (Flask-WTF's CSRF check needs it over HTTPS); no other site
    # ever sees one of our URLs, which may carry an emailed link's token.
    ("Referrer-Policy", "same-origin"),
)
SECURITY_HEADERS_OVER_HTTPS = (*SECURITY_HEADERS, ("Strict-Transport-Security", "max-age=31536000"))


def _add_security_headers(response):
    """Each header unless the view set its own."""
    set_missing(response.headers, SECURITY_HEADERS_OVER_HTTPS if request.is_secure else SECURITY_HEADERS)
    return response


def register_security_headers(app):
    app.after_request(_add_security_headers)
