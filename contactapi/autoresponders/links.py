"""The signed links an autoresponse carries, each good for one purpose only (its own salt): confirm this
contact (double opt-in), and stop this account's autoresponses to this address. The unsubscribe token names
the address only by its digest, so no address appears in a URL."""
from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from ..config import signing_keys

CONFIRM_SALT = "contactapi.autoresponders.confirm"
STOP_SALT = "contactapi.autoresponders.stop"
CONFIRM_MAX_AGE = 30 * 24 * 3600  # a confirmation link works for 30 days


def _serializer(salt):
    return URLSafeTimedSerializer(signing_keys(current_app.config), salt=salt)


def confirm_url(account_id, contact_id, address_digest):
    """The double opt-in link mailed to one address (named by its digest, people.address_digest): it confirms
    the contact only while the contact still holds that address."""
    token = _serializer(CONFIRM_SALT).dumps({"a": account_id, "c": contact_id, "d": address_digest})
    return f"{current_app.config['BASE_URL']}/confirm/{token}"


def contact_to_confirm(token):
    """(account id, contact id, address digest) a confirmation token names, or None when it is not ours or
    too old. The digest is None for a link mailed before links named their address."""
    try:
        named = _serializer(CONFIRM_SALT).loads(token, max_age=CONFIRM_MAX_AGE)
        digest = named.get("d")
        return int(named["a"]), str(named["c"]), None if digest is None else str(digest)
    except (BadSignature, KeyError, TypeError, ValueError, AttributeError):
        return None


def stop_url(account_id, address_digest, contact_id=None):
    """The one-click unsubscribe (RFC 8058) of an autoresponse; it never expires. contact_id, the contact
    the autoresponse answered, only finds the page's way back to the site (way_back.py)."""
    named = {"a": account_id, "d": address_digest, **({} if contact_id is None else {"c": contact_id})}
    token = _serializer(STOP_SALT).dumps(named)
    return f"{current_app.config['BASE_URL']}/autoresponses/stop/{token}"


def address_to_stop(token):
    """(account id, address digest) an unsubscribe token names, or None when it is not ours."""
    try:
        named = _serializer(STOP_SALT).loads(token)
        return int(named["a"]), str(named["d"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return None


def contact_of_stop(token):
    """The contact id an unsubscribe token names, or None (not ours, or mailed before links named it)."""
    try:
        contact_id = _serializer(STOP_SALT).loads(token).get("c")
    except (BadSignature, AttributeError):
        return None
    return None if contact_id is None else str(contact_id)
