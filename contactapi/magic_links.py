"""Emailed single-use links: make one, check one without using it, use it once.

A link's token is a signed random nonce (itsdangerous, so it carries its own age); the database keeps
only the token's SHA-256 and what the link allows, so a database leak reveals no usable link."""
import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, update

from . import deliveries
from .config import signing_keys
from .database import write_transaction
from .extensions import db
from .models import MagicLink, utcnow

PURPOSES = ("create_key", "sign_in")
SALT = "contactapi.magic-link"


class LinkError(Exception):
    """The link cannot be used; reason is "invalid", "expired" or "used"."""

    reason = "invalid"


class LinkInvalid(LinkError):
    reason = "invalid"


class LinkExpired(LinkError):
    reason = "expired"


class LinkUsed(LinkError):
    reason = "used"


def max_age():
    return current_app.config["MAGIC_LINK_MAX_AGE"]


def _serializer():
    return URLSafeTimedSerializer(signing_keys(current_app.config), salt=SALT)


def _row_id(token):
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def make(email, purpose, payload=None, mail=None):
    """A new link for email allowing purpose; returns its token (the only copy of it, but for the mail).

    mail(token) → the Outgoing mail that carries the link: queued in the link's own transaction, so a
    link exists exactly when its mail is on its way."""
    if purpose not in PURPOSES:
        raise ValueError(f"purpose must be one of {', '.join(PURPOSES)}")
    token = _serializer().dumps(secrets.token_urlsafe(32))
    outgoing = [mail(token)] if mail else []
    stale = utcnow() - timedelta(seconds=max_age())
    with write_transaction() as session:
        # Links of this address that can no longer work are dropped, so the table stays small.
        session.execute(delete(MagicLink).where(MagicLink.email == email, MagicLink.created_at < stale))
        session.add(MagicLink(id=_row_id(token), email=email, purpose=purpose, payload=payload or {}))
        session.flush()
        deliveries.queue(session, *outgoing)
    return token


def check(token):
    """The unused, unexpired link a token names; LinkError says why not. Changes nothing."""
    expired = False
    try:
        _serializer().loads(token, max_age=max_age())
    except SignatureExpired:
        expired = True
    except BadSignature:
        raise LinkInvalid() from None
    link = db.session.get(MagicLink, _row_id(token), populate_existing=True)
    if link is None:
        raise LinkExpired() if expired else LinkInvalid()
    if link.used_at is not None:
        raise LinkUsed()
    if expired:
        raise LinkExpired()
    return link


def consume(token):
    """Use the link: of any number of concurrent callers, exactly one gets it back, the rest LinkUsed."""
    link = check(token)
    with write_transaction() as session:
        marked = session.execute(
            update(MagicLink).where(MagicLink.id == link.id, MagicLink.used_at.is_(None)).values(used_at=utcnow())
        ).rowcount
    if marked != 1:
        raise LinkUsed()
    return link

