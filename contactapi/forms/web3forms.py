"""POST /submit: Web3Forms' HTML and JSON API (access_key in the body), so its forms only change their URL."""
from flask import after_this_request, jsonify, request

from .. import cors, visitors
from ..errors import is_browser_form
from ..extensions import csrf
from ..submit import Door, SubmitError, Visit, submit
from . import bp

# Web3Forms' control fields: `subject` and `from_name` shape the owner's mail, `replyto` its Reply-To (and the
# contact's address when `email` is absent); `redirect` and `botcheck` are shared with every door.
DOOR = Door("web3forms", controls=frozenset({"subject", "from_name", "replyto"}), email_from=("email", "replyto"),
            subject_from=("subject", "_subject"), reply_to_from=("replyto", "_replyto"))
SUCCESS = "Email sent successfully!"
REFUSED = ("invalid_api_key", "key_disabled", "secret_key_in_browser", "domain_mismatch", "challenge_failed")
# The flow's words that do not fit this door: it reads its key from access_key, never from Authorization.
MESSAGES = {"missing_api_key": "access_key is missing: send your publishable key (ck_pub_…) as access_key."}


def web3forms_status(error):
    """400 for bad input, 403 when the key, the site or the visitor (a failed challenge) is refused, 429 when
    slowed down (413: too large)."""
    if error.code in REFUSED:
        return 403
    return error.status if error.status in (413, 429) else 400


@bp.route("/submit", methods=["OPTIONS"])
def web3forms_preflight():
    return cors.preflight()


@bp.post("/submit", provide_automatic_options=False)
@csrf.exempt  # authenticated by its access_key, never by a cookie
def web3forms():
    after_this_request(cors.add_headers)
    try:
        submitted = submit(DOOR, Visit.of(request))
    except SubmitError as error:
        status = web3forms_status(error)
        if is_browser_form():
            return visitors.after_failure(error, request.referrer, request.origin, status)
        return jsonify(success=False, message=MESSAGES.get(error.code, error.message)), status
    if is_browser_form():
        return visitors.after_success(submitted)
    return {"success": True, "message": SUCCESS, "data": {"email": submitted.email, **submitted.fields}}
