"""Dashboard: the signed-in account's contacts — newest first, search by email, one contact, delete, export."""
from datetime import datetime, timezone

from flask import Response, abort, flash, g, redirect, render_template, request, url_for

from .. import contacts, exports
from ..addresses import InvalidEmail, normalise_email
from ..pagination import InvalidPage, page_envelope, page_request
from . import bp
from .signin import account_required

EXPORT_TYPES = {"csv": "text/csv", "json": "application/json"}
CONTACT_COLUMNS = ("id", "email", "created_at", "updated_at")


def _page_request():
    """(page, page_size) from the query string, as the API reads them; 400 when out of range."""
    try:
        return page_request(request.args)
    except InvalidPage as error:
        abort(400, str(error))


@bp.get("/dashboard/contacts")
@account_required
def contacts_page():
    page, page_size = _page_request()
    search = request.args.get("email", "").strip()
    search_error = None
    if search:
        try:
            normalise_email(search)
        except InvalidEmail as error:
            search_error = str(error)
    if search_error:
        listing = page_envelope([], page, page_size, 0)
    else:
        listing = contacts.list_page(g.account.id, page, page_size, email=search or None)
    return render_template("keyring/contacts.html", listing=listing, search=search, search_error=search_error)


@bp.get("/dashboard/contacts/<contact_id>")
@account_required
def contact_page(contact_id):
    page, page_size = _page_request()
    try:
        contact = contacts.get(g.account.id, contact_id)
        submissions = contacts.list_submissions(g.account.id, contact_id, page, page_size)
    except contacts.ContactNotFound:
        abort(404)
    fields = {name: value for name, value in contact.items() if name not in CONTACT_COLUMNS}
    return render_template("keyring/contact.html", contact=contact, fields=fields, submissions=submissions)


@bp.post("/dashboard/contacts/<contact_id>/delete")
@account_required
def delete_contact(contact_id):
    try:
        contacts.remove(g.account.id, contact_id)
    except contacts.ContactNotFound:
        abort(404)
    flash("Contact deleted, with its submissions.")
    return redirect(url_for("keyring.contacts_page"), 303)


@bp.get("/dashboard/export/<fmt>")
@account_required
def export_contacts(fmt):
    if fmt not in EXPORT_TYPES:
        abort(404)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    return Response(exports.export(g.account.id, fmt), mimetype=EXPORT_TYPES[fmt], headers={
        "Content-Disposition": f'attachment; filename="contacts-{stamp}.{fmt}"',
        "Cache-Control": "no-store",
    })

