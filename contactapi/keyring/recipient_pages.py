"""Extra recipients of a key's submission emails: added and removed on the key's page, confirmed by the
link emailed to them (/recipients/confirm/<token>: GET shows a button, POST confirms)."""
from flask import abort, flash, g, redirect, render_template, request, url_for

from .. import keys, recipients
from ..addresses import InvalidEmail
from . import bp
from .signin import account_required


def _own_key(key_id):
    key = keys.key_of(g.account.id, key_id)
    if key is None:
        abort(404)
    return key


@bp.post("/dashboard/keys/<key_id>/recipients")
@account_required
def add_recipient(key_id):
    key = _own_key(key_id)
    try:
        recipients.add(g.account, key, request.form.get("email", ""))
        flash("We emailed a confirmation link; that address gets submission emails once it is opened.")
    except (InvalidEmail, recipients.RecipientRefused) as error:
        flash(str(error), "error")
    return redirect(url_for("keyring.key_page", key_id=key.id), 303)


@bp.post("/dashboard/keys/<key_id>/recipients/<recipient_id>/delete")
@account_required
def remove_recipient(key_id, recipient_id):
    recipients.remove(_own_key(key_id).id, recipient_id)
    flash("That address no longer gets submission emails.")
    return redirect(url_for("keyring.key_page", key_id=key_id), 303)


@bp.get("/recipients/confirm/<secret:token>")
def confirm_recipient(token):
    recipient = recipients.pending(token)
    return render_template("keyring/confirm_recipient.html", recipient=recipient, done=False), \
        200 if recipient else 404


@bp.post("/recipients/confirm/<secret:token>")
def use_recipient_link(token):
    confirmed = recipients.confirm(token)
    return render_template("keyring/confirm_recipient.html", recipient=confirmed, done=True), \
        200 if confirmed else 404
