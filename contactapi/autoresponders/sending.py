"""A submission's autoresponse, queued in the submission's own transaction (storage.upsert's `then` returns
it) after every rule has agreed. A refused autoresponse never refuses the submission: it is logged, and that
is all."""
import logging

from flask import current_app
from sqlalchemy import select

from .. import mailer, people
from ..models import utcnow
from ..personal_data import address_digest, inbox_digest
from . import limits, links
from .models import Autoresponder
from .templates import TemplateProblem, render

log = logging.getLogger(__name__)
autoresponders = Autoresponder.__table__
_ENABLED = select(autoresponders).where(autoresponders.c.enabled.is_(True))


def after_submission(principal, fields, client_ip):
    """respond(connection, contact, heard_by) for a submission through principal's key: returns its
    autoresponse in a list if one may go, counted by the limits, else [] (heard_by, the submission's
    audience.Audience, saves a query when the key has no autoresponder). Secret keys, and an instance with
    AUTORESPONDERS off, never get one (no query is made)."""
    if principal.is_secret or not current_app.config["AUTORESPONDERS"]:
        return lambda connection, contact, heard_by=None: []

    def respond(connection, contact, heard_by=None):
        if heard_by is not None and not heard_by.autoresponder:
            return []
        settings = connection.execute(_ENABLED.where(autoresponders.c.key_id == principal.key_id)).first()
        if settings is None:
            return []
        autoresponse, why_not = _autoresponse(connection, principal, settings, contact, fields, client_ip)
        if why_not is not None:
            log.info("No autoresponse to contact %s (key %s): %s", contact["id"], principal.key_id, why_not)
            return []
        return [autoresponse]

    return respond


def _autoresponse(connection, principal, settings, contact, fields, client_ip):
    """(the autoresponse, None), counted by the limits; or (None, why it may not go), nothing counted then."""
    email = contact["email"]
    if principal.challenge is None:
        return None, "the key requires no challenge"
    if people.suppressed(principal.account_id, email, connection):
        return None, "the address is suppressed (unsubscribed or erased)"
    try:
        subject, text, html = render(settings.subject, settings.body, email, fields)
    except TemplateProblem as problem:
        return None, f"its template failed: {problem}"
    # The limits and the stop link go by mailbox (+tags, Gmail's dots: one person); the confirmation link by
    # the very address it confirms.
    mailbox, client, now = inbox_digest(email), limits.client_digest(client_ip), utcnow()
    why_not = limits.refusal(connection, principal.account_id, mailbox, client, now)
    if why_not is not None:
        return None, why_not
    limits.record(connection, principal.account_id, mailbox, client, now)
    confirm = None
    if settings.double_opt_in and contact.get("confirmed_at") is None:
        confirm = links.confirm_url(principal.account_id, contact["id"], address_digest(email))
    stop = links.stop_url(principal.account_id, mailbox, contact["id"])
    headers = {"Reply-To": principal.owner_email, "List-Unsubscribe": f"<{stop}>",
               "List-Unsubscribe-Post": "List-Unsubscribe=One-Click", "Auto-Submitted": "auto-replied"}
    # html is the owner's body rendered with autoescape (Markup); stored as plain JSON text, the mail's
    # template marks it safe again.
    return mailer.outgoing(
        email, subject or "Thank you", "autoresponse", topic="autoresponse", account_id=principal.account_id,
        headers=headers, secret=confirm is not None, base_url=current_app.config["BASE_URL"], text=text,
        html=html, confirm_url=confirm, unsubscribe_url=stop), None
