"""The hosted pages a form's visitor lands on, in the visitor's language: the thank-you page, and what a
browser that opens a door's address (GET) sees instead of an operator's error."""
from flask import request

from .. import keys, visitors
from ..errors import MESSAGES, json_error, wants_json
from . import bp


@bp.get("/thanks")
def thanks():
    """?k=<key id> shows that key's thank-you message and links back to its site when the Referer is gone."""
    key = keys.public_key_by_id(request.args.get("k"))
    back = visitors.back_link(request.referrer, None, key)
    return visitors.thank_you_page(key.thank_you_message if key else None, back)


@bp.get("/f/<key>")
@bp.get("/submit")
@bp.get("/api/contact-api/")
def form_address(key=None):
    if wants_json():
        return json_error(405, MESSAGES[405], headers={"Allow": "OPTIONS, POST"})
    return visitors.form_address_page(request.referrer)
