"""The links an autoresponse carries. GET shows a page with a button and changes nothing (mail scanners
follow links); POST does it. The signed token is the only authority, so the POSTs carry no CSRF token: a
mail client's one-click unsubscribe (RFC 8058) posts without one, and whoever holds a confirmation link may
press its button anyway.

/confirm/<token>: double opt-in, sets the contact's confirmed_at. /autoresponses/stop/<token>: the account's
autoresponders never write to that address again."""
from flask import render_template

from .. import people
from ..autoresponders import confirmation, links
from ..extensions import csrf
from . import bp


def _confirm_page(token, press):
    named = links.contact_to_confirm(token)
    contact = None
    if named is not None:
        try:
            contact = (confirmation.confirm if press else confirmation.pending_or_done)(*named)
        except confirmation.LinkNoLongerApplies:
            return render_template("visitor/confirm_contact.html", contact=None, no_longer_applies=True), 410
    if contact is None:
        return render_template("visitor/confirm_contact.html", contact=None), 404
    return render_template("visitor/confirm_contact.html", contact=contact, done=press)


@bp.get("/confirm/<secret:token>")
def confirm_contact_page(token):
    return _confirm_page(token, press=False)


@bp.post("/confirm/<secret:token>")
@csrf.exempt
def confirm_contact(token):
    return _confirm_page(token, press=True)


@bp.get("/autoresponses/stop/<secret:token>")
def stop_autoresponses_page(token):
    valid = links.address_to_stop(token) is not None
    return render_template("visitor/stop_autoresponses.html", valid=valid, done=False), 200 if valid else 404


@bp.post("/autoresponses/stop/<secret:token>")
@csrf.exempt
def stop_autoresponses(token):
    named = links.address_to_stop(token)
    if named is None:
        return render_template("visitor/stop_autoresponses.html", valid=False, done=False), 404
    people.suppress(*named)
    return render_template("visitor/stop_autoresponses.html", valid=True, done=True)
