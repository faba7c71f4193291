"""Errors rendered in one place per surface: JSON for /v1, the codefreeform shape for its route,
HTML pages for browsers, JSON for everyone who asks for it."""
import logging

from flask import jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from . import visitors
from .redaction import redact

log = logging.getLogger(__name__)

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "payload_too_large",
    415: "unsupported_media_type", 429: "rate_limited", 500: "internal_error",
}
MESSAGES = {
    404: "Not found.",
    405: "Method not allowed.",
    413: "The body is larger than 64 KiB.",
    429: "Too many requests. Please slow down and try again shortly.",
    500: "Internal server error.",
}


def is_browser_form():
    """A form a browser posted (and did not ask for JSON): it gets HTML pages, not JSON."""
    return request.mimetype in FORM_TYPES and not wants_json()


def wants_json():
    accept = request.accept_mimetypes
    return request.is_json or accept.quality("application/json") > accept.quality("text/html")


def json_error(status, message, code=None, headers=None):
    """The /v1 error shape: {"error": {"message", "code"}}."""
    response = jsonify(error={"message": message, "code": code or CODES.get(status, "error")})
    return response, status, headers or {}


def codefreeform_error(status, message, errors=None, headers=None):
    """The error shape of codefreeform's /api/contact-api/."""
    body = {"success": False, "message": message, "errors": errors or {"__all__": [message]}}
    return jsonify(body), status, headers or {}


def html_error(status, message, headers=None):
    return render_template("errors/error.html", status=status, message=message), status, headers or {}


def render_error(status, message, code=None, headers=None):
    """The error response for this request's surface."""
    if request.path.startswith("/api/contact-api") and not is_browser_form():
        return codefreeform_error(status, message, headers=headers)
    if is_browser_form() or not (request.path.startswith("/v1") or wants_json()):
        return html_error(status, message, headers)
    return json_error(status, message, code, headers)


def _http_error(error):
    message = MESSAGES.get(error.code) or error.description or error.name
    headers = dict(error.get_headers())
    headers.pop("Content-Type", None)
    if error.code == 405 and request.method == "GET" and visitors.is_door_address(request.path) \
            and not wants_json():
        return visitors.form_address_page(request.referrer, headers)  # a visitor's browser, not a client
    return render_error(error.code, message, headers=headers)


def _unexpected_error(error):
    if isinstance(error, HTTPException):
        return _http_error(error)
    log.exception("Unhandled error on %s %s", request.method, redact(request.path))
    return render_error(500, MESSAGES[500])


def register_errorhandlers(app):
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(InternalServerError, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
