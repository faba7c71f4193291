"""Extra recipients of a key's submission emails: added by the owner, emailed a confirmation link, and
sent nothing until they confirm it (so nobody can be signed up to mail they did not ask for)."""
from dataclasses import dataclass

from flask import current_app, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, select, update

from . import deliveries, mailer
from .addresses import normalise_email
from .config import signing_keys
from .database import write_transaction
from .extensions import db
from .ids import random_id
from .models import NotificationRecipient, utcnow

SALT = "contactapi.recipient"
CONFIRM_MAX_AGE = 7 * 24 * 3600  # a confirmation link works for a week
MAX_PER_KEY = 10
recipients = NotificationRecipient.__table__


class RecipientRefused(ValueError):
    """The address cannot be added (already there, the owner's own, or too many)."""


@dataclass(frozen=True)
class Confirmed:
    email: str
    key_id: str


def _serializer():
    return URLSafeTimedSerializer(signing_keys(current_app.config), salt=SALT)


def of_key(key_id):
    return db.session.scalars(select(NotificationRecipient).where(NotificationRecipient.key_id == key_id)
                              .order_by(NotificationRecipient.created_at)).all()


def add(account, key, email):
    """Add email to the key's recipients (unconfirmed) and queue its confirmation mail, in one transaction."""
    email = normalise_email(email)
    existing = of_key(key.id)
    if email == account.email or any(r.email == email for r in existing):
        raise RecipientRefused(f"{email} already gets these emails or is waiting to confirm.")
    if len(existing) >= MAX_PER_KEY:
        raise RecipientRefused(f"A key can have at most {MAX_PER_KEY} extra recipients.")
    recipient_id = random_id("rcp_")
    token = _serializer().dumps({"r": recipient_id})
    link = current_app.config["BASE_URL"] + url_for("keyring.confirm_recipient", token=token)
    mail = mailer.outgoing(email, "Confirm: submission emails from contactapi", "confirm_recipient",
                           topic="confirm_recipient", account_id=account.id, priority=deliveries.HIGH, secret=True,
                           link=link, owner=account.email, key_name=key.name or key.id,
                           base_url=current_app.config["BASE_URL"])
    with write_transaction() as session:
        session.add(NotificationRecipient(id=recipient_id, account_id=account.id, key_id=key.id, email=email))
        session.flush()
        deliveries.queue(session, mail)


def pending(token):
    """The recipient a confirmation token names, or None (bad, expired, or removed since)."""
    try:
        recipient_id = _serializer().loads(token, max_age=CONFIRM_MAX_AGE).get("r")
    except (BadSignature, AttributeError):
        return None
    return db.session.get(NotificationRecipient, recipient_id, populate_existing=True)


def confirm(token):
    """Confirm the recipient the token names; its Confirmed, or None when the token is no good."""
    recipient = pending(token)
    if recipient is None:
        return None
    with write_transaction() as session:
        session.execute(update(recipients).where(recipients.c.id == recipient.id, recipients.c.confirmed_at.is_(None))
                        .values(confirmed_at=utcnow()))
    return Confirmed(recipient.email, recipient.key_id)


def remove_address(key_id, email):
    """Stop the key's emails to this extra recipient (its own unsubscribe link); nothing when it is gone."""
    with write_transaction() as session:
        session.execute(delete(recipients).where(recipients.c.key_id == key_id, recipients.c.email == email))


def remove(key_id, recipient_id):
    with write_transaction() as session:
        session.execute(delete(recipients).where(recipients.c.id == recipient_id, recipients.c.key_id == key_id))

