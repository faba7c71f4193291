"""Contacts: the atomic upsert, merge-patch, delete, newest-first pages, and the submissions kept."""
import json
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import DateTime, and_, bindparam, delete, func, select, text, update
from sqlalchemy.exc import IntegrityError

from . import search
from .addresses import normalise_email
from .database import read_connection, write_connection, write_transaction
from .deliveries import events
from .extensions import db
from .ids import random_id
from .models import Account, Contact, JSONField, Submission, utcnow
from .pagination import keyset_page, page_envelope

contacts = Contact.__table__
submissions = Submission.__table__
accounts = Account.__table__
NEWEST_FIRST = (contacts.c.created_at.desc(), contacts.c.id.desc())
FIXED_COLUMNS = ("id", "email", "created_at", "updated_at", "confirmed_at")

# The hot statements are built once, with bound parameters: SQLAlchemy then reuses their compiled SQL
# instead of building and compiling a statement on every request. The dialect-specific
# insert().on_conflict_do_nothing() cannot be cached by SQLAlchemy at all, so the insert is plain SQL
# (the same on SQLite ≥ 3.35 and PostgreSQL).
_INSERT_IF_NEW = text(
    "INSERT INTO contacts (id, account_id, email, fields, created_at, updated_at) "
    "VALUES (:id, :account_id, :email, :fields, :now, :now) "
    "ON CONFLICT (account_id, email) DO NOTHING RETURNING id"
).bindparams(bindparam("fields", type_=JSONField), bindparam("now", type_=DateTime()))
_COUNT_CHANGE = (
    update(accounts).where(accounts.c.id == bindparam("p_account"))
    .values(contact_count=accounts.c.contact_count + bindparam("p_delta"))
)
_LOCK_BY_EMAIL = select(contacts).where(
    contacts.c.account_id == bindparam("p_account"), contacts.c.email == bindparam("p_email")
).with_for_update()
_OVERWRITE_FIELDS = (
    update(contacts).where(contacts.c.id == bindparam("p_id"))
    .values(fields=bindparam("p_fields", type_=JSONField), updated_at=bindparam("p_now", type_=DateTime()))
)
_RECORD_SUBMISSION = submissions.insert()
# The contact's submissions past the newest p_keep (SUBMISSIONS_PER_CONTACT), read newest first by its index.
_PRUNE_SUBMISSIONS = delete(submissions).where(submissions.c.id.in_(
    select(submissions.c.id).where(submissions.c.contact_id == bindparam("p_contact"))
    .order_by(submissions.c.created_at.desc(), submissions.c.id.desc()).offset(bindparam("p_keep"))
    .scalar_subquery()
))
_BY_ID = select(contacts).where(contacts.c.id == bindparam("p_id"), contacts.c.account_id == bindparam("p_account"))
_BY_EMAIL = select(contacts).where(contacts.c.account_id == bindparam("p_account"), contacts.c.email == bindparam("p_email"))
_TOTAL = select(accounts.c.contact_count).where(accounts.c.id == bindparam("p_account"))
# Deferred join: walk the newest-first index for one page of ids, then fetch only those rows. The
# account's counter rides along as a scalar subquery, so a page costs one round trip.
_PAGE_IDS = (
    select(contacts.c.id).where(contacts.c.account_id == bindparam("p_account"))
    .order_by(*NEWEST_FIRST).limit(bindparam("p_limit")).offset(bindparam("p_offset")).subquery()
)
_PAGE = (
    select(contacts, _TOTAL.scalar_subquery().label("total"))
    .join(_PAGE_IDS, contacts.c.id == _PAGE_IDS.c.id).order_by(*NEWEST_FIRST)
)


@dataclass(frozen=True)
class Source:
    """Where a submission came from, as the browser said: its page (Referer, else Origin) and user agent.
    Never the IP address."""

    page: str | None = None
    user_agent: str | None = None

    @classmethod
    def from_headers(cls, headers):
        page = headers.get("Referer") or headers.get("Origin") or None
        user_agent = headers.get("User-Agent") or None
        return cls(page and page[:2048], user_agent and user_agent[:512])


class ContactNotFound(LookupError):
    pass


class ContactTooLarge(ValueError):
    """The contact would hold more than MAX_CONTACT_BYTES of fields or more than MAX_CONTACT_FIELDS names."""

    def __init__(self, max_bytes, max_fields):
        super().__init__(f"A contact may hold at most {max_bytes // 1024} KiB in at most {max_fields} fields.")


class EmailTaken(ValueError):
    def __init__(self):
        super().__init__("Another contact already has this email")


def timestamp(moment):
    """ISO 8601 UTC with milliseconds and Z."""
    return moment.isoformat(timespec="milliseconds") + "Z"


def as_json(contact):
    """A stored contact (a mapping of its columns) as the API shows it: id, email, fields, timestamps, and
    confirmed_at (double opt-in; null while pending or never asked)."""
    confirmed_at = contact.get("confirmed_at")
    return {
        "id": contact["id"],
        "email": contact["email"],
        **contact["fields"],
        "created_at": timestamp(contact["created_at"]),
        "updated_at": timestamp(contact["updated_at"]),
        "confirmed_at": confirmed_at and timestamp(confirmed_at),
    }


def _change_count(session, account_id, delta):
    session.connection().execute(_COUNT_CHANGE, {"p_account": account_id, "p_delta": delta})


def _locked(session, account_id, **where):
    """The contact matching where, locked for this transaction (SELECT … FOR UPDATE on PostgreSQL)."""
    conditions = [contacts.c.account_id == account_id] + [contacts.c[k] == v for k, v in where.items()]
    return session.execute(select(contacts).where(*conditions).with_for_update()).first()


def stored_size(fields):
    """How many bytes fields take as stored JSON."""
    return len(json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def _fits(fields):
    config = current_app.config
    return len(fields) <= config["MAX_CONTACT_FIELDS"] and stored_size(fields) <= config["MAX_CONTACT_BYTES"]


def _too_large():
    return ContactTooLarge(current_app.config["MAX_CONTACT_BYTES"], current_app.config["MAX_CONTACT_FIELDS"])


def upsert(account_id, email, fields, key_id, *, source=Source(), keep_fields_when_full=False, then=None):
    """Create the contact for email, or overwrite the given fields of the existing one; atomic.

    Returns (contact as JSON, created). The submission is recorded, with its source, in the same transaction, and the
    contact's oldest submissions past SUBMISSIONS_PER_CONTACT are pruned there too. A contact never holds
    more than MAX_CONTACT_BYTES / MAX_CONTACT_FIELDS: fields too large by themselves raise ContactTooLarge;
    so does a merge that would grow past the cap, unless keep_fields_when_full, when the contact keeps its
    fields and the submission alone is recorded (a publishable key's caller must not learn what is stored).
    Whatever then(connection, contact as JSON, created, submission id) writes (the deliveries the submission
    causes) is written in the same transaction."""
    if not _fits(fields):
        raise _too_large()
    email = normalise_email(email)
    now = utcnow()
    new_id = random_id("con_")
    with write_connection() as connection:
        created = connection.execute(
            _INSERT_IF_NEW, {"id": new_id, "account_id": account_id, "email": email, "fields": fields, "now": now}
        ).first() is not None
        if created:
            connection.execute(_COUNT_CHANGE, {"p_account": account_id, "p_delta": 1})
            contact = {"id": new_id, "email": email, "fields": fields, "created_at": now, "updated_at": now}
        else:
            existing = connection.execute(_LOCK_BY_EMAIL, {"p_account": account_id, "p_email": email}).first()
            contact = {**existing._mapping, "fields": {**existing.fields, **fields}, "updated_at": now}
            if _fits(contact["fields"]):
                connection.execute(_OVERWRITE_FIELDS, {"p_id": existing.id, "p_fields": contact["fields"], "p_now": now})
            elif keep_fields_when_full:
                contact = dict(existing._mapping)
            else:
                raise _too_large()
        submission_id = random_id("sub_")
        connection.execute(_RECORD_SUBMISSION, {
            "id": submission_id, "contact_id": contact["id"], "account_id": account_id, "key_id": key_id,
            "fields": {"email": email, **fields}, "created_at": now,
            "page": source.page, "user_agent": source.user_agent,
        })
        if not created:
            connection.execute(_PRUNE_SUBMISSIONS, {
                "p_contact": contact["id"], "p_keep": current_app.config["SUBMISSIONS_PER_CONTACT"]})
        if then is not None:
            then(connection, as_json(contact), created, submission_id)
    return as_json(contact), created


def get(account_id, contact_id):
    with read_connection() as connection:
        row = connection.execute(_BY_ID, {"p_id": contact_id, "p_account": account_id}).first()
    if row is None:
        raise ContactNotFound(contact_id)
    return as_json(row._mapping)


def merge_patch(target, patch):
    """RFC 7396 JSON merge patch: null removes a member, objects merge recursively."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for name, value in patch.items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = merge_patch(result.get(name), value)
    return result


def patch(account_id, contact_id, changes):
    """Apply a merge patch; `email` may change to a valid unused address. Returns the whole contact."""
    new_email = normalise_email(changes["email"]) if "email" in changes else None
    try:
        with write_transaction() as session:
            row = _locked(session, account_id, id=contact_id)
            if row is None:
                raise ContactNotFound(contact_id)
            email = new_email or row.email
            if email != row.email and _locked(session, account_id, email=email) is not None:
                raise EmailTaken()
            fields = merge_patch(row.fields, {k: v for k, v in changes.items() if k != "email"})
            now = utcnow()
            session.execute(
                update(contacts).where(contacts.c.id == contact_id).values(email=email, fields=fields, updated_at=now)
            )
            updated = as_json({**row._mapping, "email": email, "fields": fields, "updated_at": now})
            events.queue_event(session, account_id, "contact.updated", updated)
    except IntegrityError:  # another writer took the address between our check and our update
        raise EmailTaken() from None
    return updated


def remove(account_id, contact_id):
    """Delete a contact and its submissions."""
    with write_transaction() as session:
        row = session.execute(
            delete(contacts).where(contacts.c.id == contact_id, contacts.c.account_id == account_id)
            .returning(contacts.c.email)
        ).first()
        if row is None:
            raise ContactNotFound(contact_id)
        session.execute(delete(submissions).where(submissions.c.contact_id == contact_id))
        _change_count(session, account_id, -1)
        events.queue_event(session, account_id, "contact.deleted", {"id": contact_id, "email": row.email})


def conditions(account_id, query="", confirmed=None):
    """WHERE conditions for the account's contacts, those with a submission matching query if one is given,
    and only the confirmed (True) or not confirmed (False) ones if confirmed is not None (double opt-in)."""
    where = [contacts.c.account_id == account_id]
    if confirmed is not None:
        where.append(contacts.c.confirmed_at.is_not(None) if confirmed else contacts.c.confirmed_at.is_(None))
    matches = search.matching_submissions(account_id, query)
    if matches is not None:
        where.append(contacts.c.id.in_(
            select(submissions.c.contact_id).where(submissions.c.id.in_(select(matches.c.submission_id)))))
    return where


class InvalidFilter(ValueError):
    pass


def confirmed_filter(value):
    """The `confirmed` query parameter: None when absent, else True or False; InvalidFilter otherwise."""
    if value is None:
        return None
    if value not in ("true", "false"):
        raise InvalidFilter("confirmed must be true or false")
    return value == "true"


def _search_page(account_id, query, page, page_size, confirmed=None):
    where = conditions(account_id, query, confirmed)
    with read_connection() as connection:
        total = connection.execute(select(func.count()).select_from(contacts).where(*where)).scalar()
        rows = connection.execute(select(contacts).where(*where).order_by(*NEWEST_FIRST)
                                  .limit(page_size).offset((page - 1) * page_size)).all()
    return page_envelope([as_json(r._mapping) for r in rows], page, page_size, total)


def list_page(account_id, page, page_size, email=None, query="", confirmed=None):
    """One page of contacts, newest first: the one with email, or those whose submissions match query
    (see search.py) or whose confirmation is as confirmed asks, or all, whose total comes from the account's
    counter, not count(*)."""
    if search.terms_of(query or "") or confirmed is not None and email is None:
        return _search_page(account_id, query, page, page_size, confirmed)
    offset = (page - 1) * page_size
    with read_connection() as connection:
        if email is not None:
            rows = connection.execute(_BY_EMAIL, {"p_account": account_id, "p_email": normalise_email(email)}).all()
            rows = [r for r in rows if confirmed is None or (r.confirmed_at is not None) == confirmed]
            data = [as_json(r._mapping) for r in rows[offset:offset + page_size]]
            return page_envelope(data, page, page_size, len(rows))
        if offset:  # a page past the end must not walk the whole index to find out it is empty
            total = connection.execute(_TOTAL, {"p_account": account_id}).scalar() or 0
            if offset >= total:
                return page_envelope([], page, page_size, total)
        rows = connection.execute(_PAGE, {"p_account": account_id, "p_limit": page_size, "p_offset": offset}).all()
        if rows:
            total = rows[0].total
        else:  # no contacts at all: the counter alone
            total = connection.execute(_TOTAL, {"p_account": account_id}).scalar() or 0
    return page_envelope([as_json(r._mapping) for r in rows], page, page_size, total)


def cursor_page(account_id, cursor, email=None, confirmed=None):
    """A cursor page of contacts, newest first (see pagination.keyset_page): the one with email, or all,
    or only those whose confirmation is as confirmed asks."""
    where = conditions(account_id, confirmed=confirmed)
    if email is not None:
        where.append(contacts.c.email == normalise_email(email))
    with read_connection() as connection:
        return keyset_page(connection, contacts, where, cursor, lambda row: as_json(row._mapping))


def submissions_cursor_page(account_id, contact_id, cursor):
    """A cursor page of a contact's submissions, newest first."""
    get(account_id, contact_id)
    where = [submissions.c.contact_id == contact_id, submissions.c.account_id == account_id]
    with read_connection() as connection:
        return keyset_page(connection, submissions, where, cursor, submission_as_json)


def list_submissions(account_id, contact_id, page, page_size):
    """One page of a contact's submissions, newest first."""
    get(account_id, contact_id)
    where = and_(submissions.c.contact_id == contact_id, submissions.c.account_id == account_id)
    total = db.session.scalar(select(func.count()).select_from(submissions).where(where))
    rows = db.session.execute(
        select(submissions).where(where)
        .order_by(submissions.c.created_at.desc(), submissions.c.id.desc())
        .limit(page_size).offset((page - 1) * page_size)
    ).all()
    return page_envelope([submission_as_json(r) for r in rows], page, page_size, total)


def submission_as_json(row):
    """A stored submission as the API shows it."""
    return {"id": row.id, "contact_id": row.contact_id, "key_id": row.key_id, "fields": row.fields,
            "created_at": timestamp(row.created_at)}
