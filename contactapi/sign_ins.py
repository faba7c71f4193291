"""Dashboard sign-ins, kept on the server. A browser's cookie carries a random token naming one row:
signing out deletes that row (a copy of the cookie dies with it), signing out everywhere deletes all of an
account's rows, and every row ends at a time fixed when it was made, whatever the browser does later."""
import hashlib
import secrets

from flask import current_app
from sqlalchemy import delete, select

from .database import write_transaction
from .extensions import db
from .models import Account, DashboardSession, utcnow


def _row_id(token):
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start(account):
    """A new sign-in for account, lasting PERMANENT_SESSION_LIFETIME from now; returns its token."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    with write_transaction() as session:
        # The account's ended sign-ins are dropped here, so the table holds only live ones.
        session.execute(delete(DashboardSession).where(DashboardSession.account_id == account.id,
                                                       DashboardSession.expires_at <= now))
        session.add(DashboardSession(id=_row_id(token), account_id=account.id, created_at=now,
                                     expires_at=now + current_app.config["PERMANENT_SESSION_LIFETIME"]))
    return token


def account_for(token):
    """The account a live sign-in token belongs to; None for anything else (ended, expired, forged, absent)."""
    if not isinstance(token, str) or not token:
        return None
    return db.session.scalar(
        select(Account).join(DashboardSession, DashboardSession.account_id == Account.id)
        .where(DashboardSession.id == _row_id(token), DashboardSession.expires_at > utcnow())
    )


def end(token):
    """End one sign-in (signing out of this browser)."""
    if isinstance(token, str) and token:
        with write_transaction() as session:
            session.execute(delete(DashboardSession).where(DashboardSession.id == _row_id(token)))


def end_all(account_id):
    """End every sign-in of an account, on every browser."""
    with write_transaction() as session:
        session.execute(delete(DashboardSession).where(DashboardSession.account_id == account_id))
