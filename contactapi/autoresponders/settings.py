"""A key's autoresponder, as its owner saves it from the dashboard, and why it may not be sending."""
from flask import current_app
from sqlalchemy import select

from ..database import write_transaction
from ..extensions import db
from ..models import utcnow
from .models import Autoresponder
from .templates import check

DEFAULT_SUBJECT = "Thanks, {{ name or email }}: we got your message"
DEFAULT_BODY = "Hello {{ name }},\n\nthank you for writing to us. We will answer soon.\n"


def of_key(key_id):
    """The key's autoresponder, or None while it never had one."""
    return db.session.scalar(select(Autoresponder).where(Autoresponder.key_id == key_id))


def save(key, enabled, subject, body, double_opt_in):
    """Store the key's autoresponder; TemplateProblem (nothing stored) when the templates cannot be used."""
    check(subject, body)
    with write_transaction() as session:
        autoresponder = of_key(key.id) or Autoresponder(key_id=key.id)
        autoresponder.enabled, autoresponder.double_opt_in = bool(enabled), bool(double_opt_in)
        autoresponder.subject, autoresponder.body, autoresponder.updated_at = subject, body, utcnow()
        session.add(autoresponder)
    return autoresponder


def why_idle(key):
    """Why this key's autoresponder would send nothing, for the owner (None: it sends)."""
    if key.kind != "publishable":
        return "Only publishable keys answer submitters; posts with a secret key never get an autoresponse."
    if not current_app.config["AUTORESPONDERS"]:
        return "Autoresponders are switched off on this instance (its operator sets AUTORESPONDERS=on)."
    if key.challenge is None:
        return ("This key requires no challenge, so it sends no autoresponse: an autoresponder mails whatever "
                "address is typed in, and only a challenge keeps bots from using it to mail strangers.")
    return None
