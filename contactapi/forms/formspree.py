"""POST /f/<publishable key>: Formspree's wire format, so a Formspree form or @formspree/core client only
changes its URL. JSON callers (Accept: application/json) get Formspree's answers and error codes."""
from flask import after_this_request, jsonify, request

from .. import cors, visitors
from ..errors import wants_json
from ..extensions import csrf
from ..submit import Door, SubmitError, Visit, submit
from . import bp

DOOR = Door("formspree", email_from=("email", "_replyto"), refuse_empty=True)
FORMSPREE_HEADERS = ("Formspree-Client", "Formspree-Session-Data")
FORM_NOT_FOUND = (404, "FORM_NOT_FOUND", "Form not found")
# Our stable code → (status, Formspree's code, message); codes Formspree does not have are ours, upper-cased.
CODES = {
    "missing_api_key": FORM_NOT_FOUND,
    "invalid_api_key": FORM_NOT_FOUND,
    "secret_key_in_browser": FORM_NOT_FOUND,
    "key_disabled": (403, "INACTIVE", "Form not active"),
    "domain_mismatch": (403, "BLOCKED", "Form does not accept submissions from this website"),
    "challenge_failed": (403, "BLOCKED", "Submission blocked: the challenge was not solved"),
    "empty": (422, "EMPTY", "Empty form"),
    "uploads_not_supported": (400, "NO_FILE_UPLOADS", "File uploads are not supported"),
}
FIELD_CODES = {"email_required": "REQUIRED_FIELD_MISSING", "field_required": "REQUIRED_FIELD_MISSING",
               "invalid_email": "TYPE_EMAIL"}


def formspree_error(error):
    """Formspree's error answer: {"error": message, "errors": [{"code", "message", "field"?}]}."""
    if error.code in CODES:
        status, code, message = CODES[error.code]
        return {"error": message, "errors": [{"code": code, "message": message}]}, status
    if error.code in FIELD_CODES:
        errors = [{"code": FIELD_CODES.get(p.code, p.code.upper()), "message": p.message, **({"field": p.field}
                   if p.field else {})} for p in error.problems]
        return {"error": "Validation errors", "errors": errors}, 422
    return {"error": error.message, "errors": [{"code": error.code.upper(), "message": error.message}]}, error.status


@bp.route("/f/<key>", methods=["OPTIONS"])
def formspree_preflight(key):
    return cors.preflight(FORMSPREE_HEADERS)


@bp.post("/f/<key>", provide_automatic_options=False)
@csrf.exempt  # authenticated by the key in its URL, never by a cookie
def formspree(key):
    after_this_request(cors.add_headers)
    try:
        submitted = submit(DOOR, Visit.of(request, path_key=key))
    except SubmitError as error:
        body, status = formspree_error(error)
        if wants_json():
            return jsonify(body), status
        return visitors.after_failure(error, request.referrer, request.origin, status)
    if wants_json():
        return {"ok": True, "next": submitted.next_url or visitors.thank_you_url(submitted.principal, external=True)}
    return visitors.after_success(submitted)
