"""The hosted thank-you page a form's visitor lands on, in the visitor's language."""
from flask import request

from .. import keys, visitors
from . import bp


@bp.get("/thanks")
def thanks():
    """?k=<key id> shows that key's thank-you message and links back to its site when the Referer is gone."""
    key = keys.public_key_by_id(request.args.get("k"))
    back = visitors.back_link(request.referrer, None, key)
    return visitors.thank_you_page(key.thank_you_message if key else None, back)

