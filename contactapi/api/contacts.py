"""/v1/contacts: create (upsert), list, get, patch, delete, and a contact's submissions."""
from flask import after_this_request, g, request

from .. import contacts, cors, visitors
from ..addresses import InvalidEmail
from ..contact_limits import ContactTooLarge
from ..errors import is_browser_form, json_error
from ..pagination import InvalidPage, cursor_request, page_request
from ..payloads import PayloadError, refuse_read_only, request_json
from ..submit import Door, SubmitError, Visit, submit
from . import bp
from .auth import bearer_key, secret_key_required
from .idempotency import idempotent

DOOR = Door("v1", secret_keys=True)
# The stable codes the flow raises that /v1 shows otherwise: a disabled key is just an invalid one here.
PUBLIC_CODES = {"key_disabled": "invalid_api_key"}


def _answer(submitted):
    """The contact as this caller may see it: a secret key gets it whole (201 new, 200 existing); a
    publishable key, being public, always 201 with only what it sent, so it learns nothing of what is stored."""
    if submitted.principal.is_secret and submitted.contact is not None:
        return submitted.contact, 201 if submitted.created else 200
    return {"id": submitted.contact_id, "email": submitted.email, **submitted.fields}, 201


@bp.route("/contacts", methods=["OPTIONS"])
def create_contact_preflight():
    return cors.preflight()


@bp.post("/contacts")
@idempotent
def create_contact():
    after_this_request(cors.add_headers)
    try:
        submitted = submit(DOOR, Visit.of(request, bearer_key=bearer_key()))
    except SubmitError as error:
        if is_browser_form():
            return visitors.after_failure(error, request.referrer, request.origin)
        return json_error(error.status, error.message, PUBLIC_CODES.get(error.code, error.code))
    if is_browser_form():
        return visitors.after_success(submitted)
    return _answer(submitted)


@bp.get("/contacts")
@secret_key_required
def list_contacts():
    account_id, email = g.principal.account_id, request.args.get("email")
    try:
        confirmed = contacts.confirmed_filter(request.args.get("confirmed"))
        cursor = cursor_request(request.args)
        if cursor is not None:
            return contacts.cursor_page(account_id, cursor, email=email, confirmed=confirmed)
        page, page_size = page_request(request.args)
        return contacts.list_page(account_id, page, page_size, email=email, confirmed=confirmed)
    except (InvalidPage, InvalidEmail, contacts.InvalidFilter) as error:
        return json_error(400, str(error), "invalid_query")


@bp.get("/contacts/<contact_id>")
@secret_key_required
def get_contact(contact_id):
    return contacts.get(g.principal.account_id, contact_id)


@bp.patch("/contacts/<contact_id>")
@secret_key_required
@idempotent
def patch_contact(contact_id):
    try:
        changes = request_json(request)
        refuse_read_only(changes)
        if "email" in changes and changes["email"] is None:
            raise PayloadError("email cannot be removed", code="email_required")
        return contacts.patch(g.principal.account_id, contact_id, changes)
    except PayloadError as error:
        return json_error(error.status, error.message, error.code)
    except InvalidEmail as error:
        return json_error(400, str(error), "invalid_email")
    except contacts.EmailTaken as error:
        return json_error(409, str(error), "email_taken")


@bp.delete("/contacts/<contact_id>")
@secret_key_required
@idempotent
def delete_contact(contact_id):
    contacts.remove(g.principal.account_id, contact_id)
    return {"id": contact_id, "deleted": True}


@bp.get("/contacts/<contact_id>/submissions")
@secret_key_required
def list_submissions(contact_id):
    account_id = g.principal.account_id
    try:
        cursor = cursor_request(request.args)
        if cursor is not None:
            return contacts.submissions_cursor_page(account_id, contact_id, cursor)
        page, page_size = page_request(request.args)
        return contacts.list_submissions(account_id, contact_id, page, page_size)
    except InvalidPage as error:
        return json_error(400, str(error), "invalid_query")


@bp.errorhandler(contacts.ContactNotFound)
def contact_not_found(_error):
    return json_error(404, "No contact with that id.", "not_found")


@bp.errorhandler(ContactTooLarge)
def contact_too_large(error):
    return json_error(413, str(error), "contact_too_large")
