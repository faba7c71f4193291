"""/unsubscribe/<token>: the notification mail's one-click unsubscribe (RFC 8058). GET shows a button and
changes nothing (mail scanners follow links); POST, from that button or from a mail client's one-click,
turns that key's notifications off, or, from an extra recipient's copy, removes only that recipient. The token
is the only authority, so the POST carries no CSRF token."""
from flask import render_template

from .. import keys, notifications, recipients
from ..extensions import csrf, db
from ..models import ApiKey
from . import bp


def _page(token, press):
    named = notifications.unsubscribe_of(token)
    key = db.session.get(ApiKey, named.key_id) if named else None
    if key is None:
        return render_template("keyring/unsubscribe.html", key=None), 404
    if press and named.recipient is not None:
        recipients.remove_address(key.id, named.recipient)
    elif press:
        keys.set_notify(key, False)
    return render_template("keyring/unsubscribe.html", key=key, recipient=named.recipient, done=press)


@bp.get("/unsubscribe/<secret:token>")
def unsubscribe_page(token):
    return _page(token, press=False)


@bp.post("/unsubscribe/<secret:token>")
@csrf.exempt
def unsubscribe(token):
    return _page(token, press=True)
