"""The stored things of autoresponders and double opt-in: a key's autoresponder, the autoresponses the abuse
limits count, and the addresses that unsubscribed from them."""
from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models import utcnow


class Autoresponder(db.Model):
    """A publishable key's answer to each submitter: Jinja templates written by the owner (autoresponders/)."""

    __tablename__ = "autoresponders"

    key_id: Mapped[str] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    double_opt_in: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Autoresponse(db.Model):
    """One autoresponse queued: what the abuse limits count (digests only; rows older than a day are pruned)."""

    __tablename__ = "autoresponses"
    __table_args__ = (
        Index("ix_autoresponses_created", "created_at"),
        Index("ix_autoresponses_account_created", "account_id", "created_at"),
        Index("ix_autoresponses_address", "account_id", "address_digest", "created_at"),
        Index("ix_autoresponses_client", "client_digest", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # ars_…
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    address_digest: Mapped[str] = mapped_column(String(64))
    client_digest: Mapped[str | None] = mapped_column(String(64))  # keyed digest of the client's IP
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Suppression(db.Model):
    """An address that used an autoresponse's unsubscribe link: the account's autoresponders never write to it."""

    __tablename__ = "suppressions"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    address_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
