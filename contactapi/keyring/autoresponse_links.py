"""The links an autoresponse carries. GET shows a page with a button and changes nothing (mail scanners
follow links); POST does it. The signed token is the only authority, so the POSTs carry no CSRF token: a
mail client's one-click unsubscribe (RFC 8058) posts without one, and whoever holds a confirmation link may
press its button anyway.

/confirm/<token>: double opt-in, sets the contact's confirmed_at. /autoresponses/stop/<token>: the account's
autoresponders never write to that address again. Both lead back to the site where the visitor submitted
(way_back.py), as every visitor page does, whatever the token's fate."""
from flask import render_template

from .. import people
from ..autoresponders import confirmation, links, way_back
from ..extensions import csrf
from . import bp


def _confirm_page(token, press):
    named = links.contact_to_confirm(token)
    contact, back = None, None
    if named is not None:
        back = way_back.to_the_site(named.account_id, named.contact_id)  # whatever address it holds now
        try:
            contact = (confirmation.confirm if press else confirmation.pending_or_done)(
                named.account_id, named.contact_id, named.address_digest)
        except confirmation.LinkNoLongerApplies:
            return _confirm_template(None, back, no_longer_applies=True), 410
    if contact is None:
        return _confirm_template(None, back), 404
    return _confirm_template(contact, back, done=press)


def _confirm_template(contact, back, **shown):
    return render_template("visitor/confirm_contact.html", contact=contact, back=back, **shown)


@bp.get("/confirm/<secret:token>")
def confirm_contact_page(token):
    return _confirm_page(token, press=False)


@bp.post("/confirm/<secret:token>")
@csrf.exempt
def confirm_contact(token):
    return _confirm_page(token, press=True)


def _stop_page(token, press):
    named = links.address_to_stop(token)
    if named is None:
        return render_template("visitor/stop_autoresponses.html", valid=False, done=False), 404
    back = way_back.to_the_site(named.account_id, named.contact_id)
    if press:
        people.suppress(named.account_id, named.address_digest)
    return render_template("visitor/stop_autoresponses.html", valid=True, done=press, back=back)


@bp.get("/autoresponses/stop/<secret:token>")
def stop_autoresponses_page(token):
    return _stop_page(token, press=False)


@bp.post("/autoresponses/stop/<secret:token>")
@csrf.exempt
def stop_autoresponses(token):
    return _stop_page(token, press=True)
