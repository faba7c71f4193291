"""GET /v1/challenge?key=<publishable key>: a fresh ALTCHA challenge for the widget on that key's form."""
from flask import after_this_request, g, request

from .. import altcha_proofs, cors, keys, ratelimits
from ..errors import MESSAGES, json_error
from ..submit_keys import INVALID_KEY, SECRET_IN_BROWSER
from . import bp

MISSING_KEY = "Missing key. Send ?key=<publishable key>."
NOT_ALTCHA = "This key does not ask for an ALTCHA challenge (see its page in the dashboard)."


# A public route a page calls (it serves CORS): its OPTIONS stays Flask's, as it always was.
@bp.get("/challenge", provide_automatic_options=True)
def altcha_challenge():
    """Public like the create route: counted per client IP, readable by the pages the key admits."""
    after_this_request(cors.add_headers)
    try:
        ratelimits.count_client_ip()
    except ratelimits.RateLimited:
        return json_error(429, MESSAGES[429], "rate_limited")
    raw_key = request.args.get("key", "").strip()
    if not raw_key:
        return json_error(401, MISSING_KEY, "missing_api_key")
    principal = keys.authenticate(raw_key)
    if principal is None:
        return json_error(401, INVALID_KEY, "invalid_api_key")
    if principal.is_secret:
        return json_error(403, SECRET_IN_BROWSER, "secret_key_in_browser")
    g.principal = principal
    if principal.challenge != "altcha":
        return json_error(404, NOT_ALTCHA, "not_found")
    return altcha_proofs.new_challenge(principal.key_id), 200, {"Cache-Control": "no-store"}
