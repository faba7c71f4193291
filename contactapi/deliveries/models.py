"""The stored things of deliveries: one row per delivery (the outbox), and the accounts' webhooks."""
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models import JSONField, utcnow


class Delivery(db.Model):
    """A mail or a webhook call to make: written in the transaction that causes it, kept until delivered
    or finally failed. A worker claims a row by moving next_attempt_at to the end of its lease, so a
    worker that dies leaves the row due again when the lease runs out."""

    __tablename__ = "deliveries"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # dlv_…; a webhook's webhook-id
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # "mail" | "webhook"
    topic: Mapped[str] = mapped_column(String(40))  # "notification", "sign_in", "submission.created", …
    email: Mapped[str | None] = mapped_column(String(320))  # the address it concerns (erasure finds it)
    webhook_id: Mapped[str | None] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    priority: Mapped[int] = mapped_column(SmallInteger, default=1)  # 0 first
    payload: Mapped[dict] = mapped_column(JSONField)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime)
    lease_token: Mapped[str | None] = mapped_column(String(32))  # who holds the row now, if anyone
    last_error: Mapped[str | None] = mapped_column(Text)
    last_status: Mapped[int | None] = mapped_column(Integer)  # a webhook's last HTTP status
    last_duration_ms: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)


class Webhook(db.Model):
    """An account's endpoint for signed event deliveries. Secrets are sealed (see sealed.py): signing needs
    them back. After a rotation the previous secret also signs until previous_secret_until."""

    __tablename__ = "webhooks"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # wh_…
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2048))
    events: Mapped[list] = mapped_column(JSONField)
    description: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | paused
    secret: Mapped[str] = mapped_column(Text)
    previous_secret: Mapped[str | None] = mapped_column(Text)
    previous_secret_until: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


# Workers look for due rows; the log pages list a webhook's or an account's rows newest first. Only a webhook's
# deliveries are in its index, WHERE webhook_id IS NOT NULL (migration 0015, which alone builds the schema): every
# submission queues a mail, and an entry each under NULL cost its write a page of the log for nothing. Not said
# here: postgresql_where would import the PostgreSQL dialect in every worker (tests/test_startup_imports.py).
Index("ix_deliveries_due", Delivery.status, Delivery.next_attempt_at)
Index("ix_deliveries_webhook_newest", Delivery.webhook_id, Delivery.created_at.desc(), Delivery.id.desc())
Index("ix_deliveries_account_email", Delivery.account_id, Delivery.email)
