"""/unsubscribe/<token>: the notification mail's one-click unsubscribe (RFC 8058). GET shows a button and
changes nothing (mail scanners follow links); POST, from that button or from a mail client's one-click,
turns that key's notifications off. The token is the only authority, so the POST carries no CSRF token."""
from flask import render_template

from .. import keys, notifications
from ..extensions import csrf, db
from ..models import ApiKey
from . import bp


def _key(token):
    key_id = notifications.key_to_unsubscribe(token)
    return db.session.get(ApiKey, key_id) if key_id else None


@bp.get("/unsubscribe/<secret:token>")
def unsubscribe_page(token):
    key = _key(token)
    if key is None:
        return render_template("keyring/unsubscribe.html", key=None), 404
    return render_template("keyring/unsubscribe.html", key=key, done=False)


@bp.post("/unsubscribe/<secret:token>")
@csrf.exempt
def unsubscribe(token):
    key = _key(token)
    if key is None:
        return render_template("keyring/unsubscribe.html", key=None), 404
    keys.set_notify(key, False)
    return render_template("keyring/unsubscribe.html", key=key, done=True)
