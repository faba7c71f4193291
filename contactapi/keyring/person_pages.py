"""Dashboard: one person's data from a contact's page — download it all as JSON, or erase it all."""
import json

from flask import Response, abort, flash, g, redirect, request, url_for

from .. import contacts, people
from . import bp
from .signin import account_required


def _contact_email(contact_id):
    try:
        return contacts.get(g.account.id, contact_id)["email"]
    except contacts.ContactNotFound:
        abort(404)


@bp.get("/dashboard/contacts/<contact_id>/person.json")
@account_required
def download_person(contact_id):
    held = people.access(g.account.id, _contact_email(contact_id))
    return Response(json.dumps(held.as_json(), indent=2), mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="person-{contact_id}.json"',
    })


@bp.post("/dashboard/contacts/<contact_id>/erase")
@account_required
def erase_person(contact_id):
    email = _contact_email(contact_id)
    if request.form.get("confirm") != "yes":
        flash("Tick the box to confirm the erasure; nothing was erased.")
        return redirect(url_for("keyring.contact_page", contact_id=contact_id), 303)
    report = people.erase(g.account.id, email, "dashboard")
    removed = ", ".join(f"{name.replace('_', ' ')}: {count}" for name, count in report.counts.items())
    flash(f"Everything held about that person was erased ({removed}). Erasure {report.id} is on record.")
    return redirect(url_for("keyring.contacts_page"), 303)
