"""Dashboard: the signed-in account's contacts — newest first, search, one contact, delete."""
from flask import abort, flash, g, redirect, render_template, request, url_for

from .. import contacts, exports, keys, search
from ..pagination import InvalidPage, page_request
from . import bp
from .signin import account_required


CONFIRMATION = {"confirmed": True, "pending": False}  # the dashboard's filter (double opt-in) → confirmed


def confirmation_filter():
    """(the filter's name or "", confirmed for contacts.conditions) from ?confirmation=confirmed|pending."""
    name = request.args.get("confirmation", "")
    return (name, CONFIRMATION[name]) if name in CONFIRMATION else ("", None)


def query_or_400():
    """The search (?q=) as search.checked_query reads it; 400 with its sentence when it is too long."""
    try:
        return search.checked_query(request.args.get("q"))
    except search.InvalidQuery as error:
        abort(400, str(error))


def page_or_400():
    """(page, page_size) from the query string, as the API reads them; 400 when out of range."""
    try:
        return page_request(request.args)
    except InvalidPage as error:
        abort(400, str(error))


@bp.get("/dashboard/contacts")
@account_required
def contacts_page():
    page, page_size = page_or_400()
    query = query_or_400()
    confirmation, confirmed = confirmation_filter()
    listing = contacts.list_page(g.account.id, page, page_size, query=query, confirmed=confirmed)
    return render_template("keyring/contacts.html", listing=listing, query=query, confirmation=confirmation,
                           formats=exports.FORMATS)


@bp.get("/dashboard/contacts/<contact_id>")
@account_required
def contact_page(contact_id):
    page, page_size = page_or_400()
    try:
        contact = contacts.get(g.account.id, contact_id)
        submissions = contacts.list_submissions(g.account.id, contact_id, page, page_size)
    except contacts.ContactNotFound:
        abort(404)
    fields = {name: value for name, value in contact.items() if name not in contacts.FIXED_COLUMNS}
    key_by_id = {key.id: key for key in keys.keys_of(g.account.id)}
    return render_template("keyring/contact.html", contact=contact, fields=fields, submissions=submissions,
                           key_by_id=key_by_id)


@bp.post("/dashboard/contacts/<contact_id>/delete")
@account_required
def delete_contact(contact_id):
    try:
        contacts.remove(g.account.id, contact_id)
    except contacts.ContactNotFound:
        abort(404)
    flash("Contact deleted, with its submissions.")
    return redirect(url_for("keyring.contacts_page"), 303)
