"""The stored things: accounts, their keys, contacts, every submission, sign-in links, the answers kept for
Idempotency-Key retries, and the audit list of erased people. A feature with a package of its own keeps its
tables there (deliveries/models.py, autoresponders/models.py)."""
from datetime import datetime, timezone

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import db

# Plain JSON text on both databases: it keeps the order fields were sent in (JSONB would not),
# and nothing queries inside it.
JSONField = JSON()


def utcnow():
    """Now in UTC, naive: both databases store plain UTC timestamps."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Account(db.Model):
    """An owner email address, proven by an emailed link; it owns keys and contacts."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    # With the account's contact_count_changes, kept in step with inserts and deletes so listing never needs
    # count(*) (contact_counts.py).
    contact_count: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ContactCountChange(db.Model):
    """A change to an account's contact_count not yet folded into it (contact_counts.py)."""

    __tablename__ = "contact_count_changes"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    delta: Mapped[int] = mapped_column(Integer)


class ApiKey(db.Model):
    """A secret or publishable key; only its digest (and, if publishable, its public value) is kept."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # "secret" | "publishable"
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    display: Mapped[str] = mapped_column(String(32))
    public_value: Mapped[str | None] = mapped_column(String(64))  # publishable keys only
    name: Mapped[str] = mapped_column(String(100), default="", server_default="")
    status: Mapped[str] = mapped_column(String(16), default="active", server_default="active")
    domains: Mapped[list] = mapped_column(JSONField, default=list)
    notify: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # What a form's visitors see: the default redirect after success, else our thank-you page with this text.
    success_url: Mapped[str | None] = mapped_column(String(2000))
    thank_you_message: Mapped[str | None] = mapped_column(String(1000))
    # The proof a publishable key's visitors must give: None, or a name in challenges.KINDS.
    challenge: Mapped[str | None] = mapped_column(String(32))
    # A publishable key's content rules (spam_rules.ContentRules.as_json), None when it has none.
    content_rules: Mapped[dict | None] = mapped_column(JSONField)
    # For a provider's challenge: its public site key, its secret sealed (sealed.py), reCAPTCHA v3's minimum score.
    challenge_site_key: Mapped[str | None] = mapped_column(String(200))
    challenge_secret: Mapped[str | None] = mapped_column(Text)
    challenge_threshold: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)


class Contact(db.Model):
    """One address per account; fields hold everything else that was sent."""

    __tablename__ = "contacts"
    __table_args__ = (
        Index("uq_contacts_account_email", "account_id", "email", unique=True),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320))
    fields: Mapped[dict] = mapped_column(JSONField, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    # Double opt-in: when the person pressed the button of the emailed link (None: pending, or never asked).
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # How many submissions it ever received: the seq of its newest (storage.py prunes by it).
    submission_seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class Submission(db.Model):
    """Every POST that reached a contact, as sent, so an upsert's overwrite loses nothing."""

    __tablename__ = "submissions"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    contact_id: Mapped[str] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    # Indexed by ix_submissions_account_newest (below), which starts with it.
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    key_id: Mapped[str | None] = mapped_column(String(32))  # the key may since be deleted
    fields: Mapped[dict] = mapped_column(JSONField, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Where it came from, as the browser said (Referer, else Origin) and with what; never the IP address.
    page: Mapped[str | None] = mapped_column(String(2048))
    user_agent: Mapped[str | None] = mapped_column(String(512))
    read_at: Mapped[datetime | None] = mapped_column(DateTime)  # None: unread in the inbox
    # Its number among its contact's submissions, from 1 (contacts.submission_seq): the oldest go first.
    seq: Mapped[int | None] = mapped_column(BigInteger)


class SpamSubmission(db.Model):
    """A submission judged spam, kept for SPAM_KEEP_DAYS so its owner can say "Not spam"; never a contact."""

    __tablename__ = "spam_submissions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # spm_…
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    key_id: Mapped[str | None] = mapped_column(String(32))  # the key may since be deleted
    email: Mapped[str | None] = mapped_column(String(320))  # as sent (None when no string was sent)
    address: Mapped[str | None] = mapped_column(String(320))  # email normalised, when it is an address
    fields: Mapped[dict] = mapped_column(JSONField, default=dict)  # as sent, control fields stripped
    reason: Mapped[str] = mapped_column(String(32))  # spam.Verdict.reason, or "owner" (moved from the inbox)
    detail: Mapped[str] = mapped_column(String(300), default="", server_default="")
    page: Mapped[str | None] = mapped_column(String(2048))
    user_agent: Mapped[str | None] = mapped_column(String(512))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)  # when it entered the folder


class MagicLink(db.Model):
    """An emailed, single-use link: what it allows is in the row, the link only names it."""

    __tablename__ = "magic_links"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the link's token
    email: Mapped[str] = mapped_column(String(320), index=True)
    purpose: Mapped[str] = mapped_column(String(16))  # "create_key" | "sign_in"
    payload: Mapped[dict] = mapped_column(JSONField, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)


class NotificationRecipient(db.Model):
    """Another address that gets a key's submission emails, once it confirmed by the link emailed to it."""

    __tablename__ = "notification_recipients"
    __table_args__ = (Index("uq_notification_recipients_key_email", "key_id", "email", unique=True),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # rcp_…
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    key_id: Mapped[str] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime)


class IdempotentRequest(db.Model):
    """A write sent with an Idempotency-Key: claimed while it runs, then its answer, kept for 24 hours."""

    __tablename__ = "idempotent_requests"
    __table_args__ = (
        Index("uq_idempotent_requests_key", "key_id", "idempotency_key", unique=True),  # keys are per API key
        Index("ix_idempotent_requests_account_created", "account_id", "created_at"),
        Index("ix_idempotent_requests_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    key_id: Mapped[str] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"))
    idempotency_key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))  # keyed digest of method, path and body
    state: Mapped[str] = mapped_column(String(16))  # "in_progress" | "complete"
    claim: Mapped[str | None] = mapped_column(String(32))  # which request holds an in-progress key
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)  # past this, a retry may take over
    status: Mapped[int | None] = mapped_column(Integer)
    headers: Mapped[dict | None] = mapped_column(JSONField)
    body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Erasure(db.Model):
    """A person erased from an account: the audit list, and the list autoresponders must not write to.

    The address is kept only as a keyed digest (people.address_digest), never in the clear."""

    __tablename__ = "erasures"
    __table_args__ = (Index("ix_erasures_account_address", "account_id", "address_digest"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    address_digest: Mapped[str] = mapped_column(String(64))
    counts: Mapped[dict] = mapped_column(JSONField, default=dict)  # rows removed, by part
    requested_via: Mapped[str] = mapped_column(String(64))  # "api:<key id>" or "dashboard"
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


# Newest-first listings read these indexes in exactly the order they sort.
Index("ix_contacts_account_newest", Contact.account_id, Contact.created_at.desc(), Contact.id.desc())
# A contact's submissions, by their number: the newest first for its list, the oldest for the prune (storage.py).
Index("ix_submissions_contact_seq", Submission.contact_id, Submission.seq)
Index("ix_spam_submissions_account_newest", SpamSubmission.account_id, SpamSubmission.created_at.desc(),
      SpamSubmission.id.desc())
Index("ix_submissions_account_newest", Submission.account_id, Submission.created_at.desc(), Submission.id.desc())


class DashboardSession(db.Model):
    """A signed-in browser: its cookie names this row, so deleting the row ends that sign-in for good."""

    __tablename__ = "dashboard_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the token in the cookie
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)  # fixed at sign-in: nothing later extends it


class MailCount(db.Model):
    """Key-request and sign-in mails sent to one inbox in one window of the per-address limit."""

    __tablename__ = "mail_counts"

    inbox: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of addresses.inbox(email)
    window_start: Mapped[datetime] = mapped_column(DateTime, primary_key=True, index=True)
    sent: Mapped[int] = mapped_column(Integer, default=0)


class UsedChallenge(db.Model):
    """An ALTCHA challenge whose solution was accepted: a second use is a replay. Kept until it expires."""

    __tablename__ = "used_challenges"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the challenge's signature
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)
