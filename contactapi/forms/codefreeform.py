"""POST /api/contact-api/: codefreeform's wire format, for clients written against its documents."""
from flask import after_this_request, request

from .. import cors, visitors
from ..errors import codefreeform_error, is_browser_form
from ..extensions import csrf
from ..submit import Door, SubmitError, Visit, submit
from . import bp

SUCCESS = "Thank you! Your message has been received."
DOOR = Door("codefreeform", controls=frozenset({"not_email_sent"}), required=("message",))
# codefreeform's own words for the refusals its documents show.
INVALID_KEY = "Invalid verification key."
USE_PUBLISHABLE = "Use a publishable key (ck_pub_…) here, never a secret key."
DOMAIN_MISMATCH_ERRORS = {"access_key": ["Verification key domain mismatch."], "__all__": ["Domain does not match."]}


def _errors(error):
    """codefreeform's {field: [messages]} for a refusal, and its 400 for everything a client could fix."""
    if error.code == "domain_mismatch":
        return 400, error.message, DOMAIN_MISMATCH_ERRORS
    if error.code == "missing_api_key":
        return 400, "access_key: This field is required.", {"access_key": ["This field is required."]}
    if error.code in ("invalid_api_key", "key_disabled"):
        return 400, INVALID_KEY, {"access_key": [INVALID_KEY]}
    if error.code == "secret_key_in_browser":
        return 400, USE_PUBLISHABLE, {"access_key": [USE_PUBLISHABLE]}
    errors = {}
    for problem in error.problems:
        errors.setdefault(problem.field or "__all__", []).append(problem.message)
    message = " ".join(f"{name}: {' '.join(texts)}" for name, texts in errors.items() if name != "__all__")
    status = error.status if error.status in (413, 415, 429) else 400
    return status, message or error.message, errors


@bp.route("/api/contact-api/", methods=["OPTIONS"])
def contact_api_preflight():
    return cors.preflight()


@bp.post("/api/contact-api/", provide_automatic_options=False)
@csrf.exempt  # authenticated by its access_key, never by a cookie
def contact_api():
    after_this_request(cors.add_headers)
    try:
        submitted = submit(DOOR, Visit.of(request))
    except SubmitError as error:
        status, message, errors = _errors(error)
        if is_browser_form():
            return visitors.after_failure(error, request.referrer, request.origin, status)
        return codefreeform_error(status, message, errors)
    if is_browser_form():
        return visitors.after_success(submitted)
    return {"success": True, "message": SUCCESS}
