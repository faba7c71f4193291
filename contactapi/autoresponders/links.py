"""The signed links an autoresponse carries, each good for one purpose only (its own salt): confirm this
contact (double opt-in), and stop this account's autoresponses to this address. The unsubscribe token names
the address only by its digest, so no address appears in a URL."""
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from ..config import signing_keys

CONFIRM_SALT = "contactapi.autoresponders.confirm"
STOP_SALT = "contactapi.autoresponders.stop"
CONFIRM_MAX_AGE = 30 * 24 * 3600  # a confirmation link works for 30 days


@dataclass(frozen=True)
class Named:
    """What a link names: its account, its contact (a stop link mailed before links named one: None) and the
    address it was mailed to, by its digest (a confirmation link mailed before links named it: None)."""

    account_id: int
    contact_id: str | None
    address_digest: str | None


def _serializer(salt):
    return URLSafeTimedSerializer(signing_keys(current_app.config), salt=salt)


def _named(named):
    contact_id, digest = named.get("c"), named.get("d")
    return Named(int(named["a"]), None if contact_id is None else str(contact_id),
                 None if digest is None else str(digest))


def confirm_url(account_id, contact_id, address_digest):
    """The double opt-in link mailed to one address (named by its digest, people.address_digest): it confirms
    the contact only while the contact still holds that address."""
    token = _serializer(CONFIRM_SALT).dumps({"a": account_id, "c": contact_id, "d": address_digest})
    return f"{current_app.config['BASE_URL']}/confirm/{token}"


def contact_to_confirm(token):
    """The Named of a confirmation token (its contact always given), or None when it is not ours or too old."""
    try:
        named = _named(_serializer(CONFIRM_SALT).loads(token, max_age=CONFIRM_MAX_AGE))
    except (BadSignature, KeyError, TypeError, ValueError, AttributeError):
        return None
    return named if named.contact_id is not None else None


def stop_url(account_id, address_digest, contact_id=None):
    """The one-click unsubscribe (RFC 8058) of an autoresponse; it never expires. contact_id, the contact
    the autoresponse answered, only finds the page's way back to the site (way_back.py)."""
    named = {"a": account_id, "d": address_digest, **({} if contact_id is None else {"c": contact_id})}
    token = _serializer(STOP_SALT).dumps(named)
    return f"{current_app.config['BASE_URL']}/autoresponses/stop/{token}"


def address_to_stop(token):
    """The Named of an unsubscribe token (its address digest always given), or None when it is not ours."""
    try:
        named = _named(_serializer(STOP_SALT).loads(token))
    except (BadSignature, KeyError, TypeError, ValueError, AttributeError):
        return None
    return named if named.address_digest is not None else None
