"""/v1/contacts: create (upsert), list, get, patch, delete, and a contact's submissions."""
from flask import after_this_request, current_app, g, redirect, request, url_for

from .. import contacts, notifications, origins, ratelimits
from ..addresses import InvalidEmail
from ..errors import is_browser_form, json_error, render_error
from ..pagination import InvalidPage, page_request
from ..payloads import PayloadError, contact_fields, is_spam, json_body, refuse_read_only, submitted_body
from . import bp, cors
from .auth import DOMAIN_MISMATCH, AuthError, authenticate, bearer_key, secret_key_required
from .idempotency import idempotent




def _origin_and_referer():
    return request.headers.get("Origin"), request.headers.get("Referer")


def _redirect_target(principal, body):
    """Where a browser form goes after success: an admitted _next, else the hosted thank-you page."""
    target = body.get("_next")
    if isinstance(target, str) and origins.redirect_allowed(target, principal.domains, *_origin_and_referer()):
        return target
    return url_for("forms.thanks")


def _as_answered(principal, contact, fields):
    """The contact as this caller may see it. A publishable key is public, so its caller gets back
    only what it sent, never the fields stored by earlier submissions for the same email."""
    if principal.is_secret:
        return contact
    return {"id": contact["id"], "email": contact["email"], **fields,
            "created_at": contact["created_at"], "updated_at": contact["updated_at"]}


def _authenticate_and_count(raw_key):
    """The caller's Principal (also in g.principal), after counting the request against its rate limits."""
    try:
        g.principal = authenticate(raw_key, secret_only=False)
    except AuthError:
        ratelimits.enforce()  # a missing or bad key still counts against the client's IP
        raise
    ratelimits.enforce()
    return g.principal


@bp.route("/contacts", methods=["OPTIONS"])
def create_contact_preflight():
    return cors.preflight()


@bp.post("/contacts", provide_automatic_options=False)
@idempotent
def create_contact():
    after_this_request(cors.add_headers)
    try:
        body = submitted_body(request, current_app.config["MAX_JSON_DEPTH"])
        raw_key = bearer_key()
        if raw_key is None and isinstance(body.get("access_key"), str):
            raw_key = body["access_key"]
        principal = _authenticate_and_count(raw_key)
        if not principal.is_secret and not origins.key_admits(principal.domains, *_origin_and_referer()):
            raise AuthError(403, DOMAIN_MISMATCH, "domain_mismatch")
        if is_spam(body):
            # A bot filled the hidden field: it is told it succeeded, and nothing is kept.
            return redirect(_redirect_target(principal, body), 303) if is_browser_form() else {"success": True}
        email, fields = contact_fields(body)
        contact, created = contacts.upsert(principal.account_id, email, fields, principal.key_id,
                                           then=notifications.after_submission(principal, fields))
    except AuthError as error:
        return error.response()
    except (PayloadError, InvalidEmail) as error:
        return render_error(getattr(error, "status", 400), str(error), getattr(error, "code", "invalid_email"))
    if is_browser_form():
        return redirect(_redirect_target(principal, body), 303)
    return _as_answered(principal, contact, fields), 201 if created else 200


@bp.get("/contacts", provide_automatic_options=False)
@secret_key_required
def list_contacts():
    try:
        page, page_size = page_request(request.args)
        return contacts.list_page(g.principal.account_id, page, page_size, email=request.args.get("email"))
    except (InvalidPage, InvalidEmail) as error:
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
        changes = json_body(request, current_app.config["MAX_JSON_DEPTH"])
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
    try:
        page, page_size = page_request(request.args)
    except InvalidPage as error:
        return json_error(400, str(error), "invalid_query")
    return contacts.list_submissions(g.principal.account_id, contact_id, page, page_size)


@bp.errorhandler(contacts.ContactNotFound)
def contact_not_found(_error):
    return json_error(404, "No contact with that id.", "not_found")
