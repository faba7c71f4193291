"""Contacts: read, merge-patch, delete, newest-first pages, and the submissions kept (the upsert that
writes them is storage.py's)."""

from sqlalchemy import and_, bindparam, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from . import contact_counts, driver, search
from .addresses import normalise_email
from .contact_limits import fits, too_large
from .database import read_connection, statement_reads, write_transaction
from .deliveries import events
from .extensions import db
from .merge_patch import merge_patch
from .models import Account, Contact, Submission, utcnow
from .pagination import Keyset, keyset_page, page_envelope

contacts = Contact.__table__
submissions = Submission.__table__
accounts = Account.__table__
NEWEST_FIRST = (contacts.c.created_at.desc(), contacts.c.id.desc())
FIXED_COLUMNS = ("id", "email", "created_at", "updated_at", "confirmed_at")

_COUNT_CHANGE = (  # built once, with bound parameters: SQLAlchemy then reuses its compiled SQL
    update(accounts).where(accounts.c.id == bindparam("p_account"))
    .values(contact_count=accounts.c.contact_count + bindparam("p_delta"))
)
# The API's reads, built once and run on the driver (driver.py): SQLAlchemy's execution layer costs more
# than SQLite's own work on them. Filtered lists (search, confirmed) are built per request instead.
_BY_ID = driver.Statement(
    select(contacts).where(contacts.c.id == bindparam("p_id"), contacts.c.account_id == bindparam("p_account")),
    contacts.c)
_BY_EMAIL = driver.Statement(
    select(contacts).where(contacts.c.account_id == bindparam("p_account"), contacts.c.email == bindparam("p_email")),
    contacts.c)
_COUNTER = select(contact_counts.TOTAL.label("total")).where(accounts.c.id == bindparam("p_account"))
_TOTAL = driver.Statement(_COUNTER, _COUNTER.selected_columns)
_PAGE_TOTAL = _COUNTER.scalar_subquery().label("total")  # the counter rides along: one round trip a page
_FIRST_PAGE = driver.Statement(
    select(contacts, _PAGE_TOTAL).where(contacts.c.account_id == bindparam("p_account"))
    .order_by(*NEWEST_FIRST).limit(bindparam("p_limit")),
    [*contacts.c, _PAGE_TOTAL])
# Deeper pages, a deferred join: walk the newest-first index for one page of ids (skipping the offset
# without reading those rows), then fetch only those rows. The first page reads its rows straight from
# the walk, which is cheaper when there is nothing to skip.
_PAGE_IDS = (
    select(contacts.c.id).where(contacts.c.account_id == bindparam("p_account"))
    .order_by(*NEWEST_FIRST).limit(bindparam("p_limit")).offset(bindparam("p_offset")).subquery()
)
_PAGE = driver.Statement(
    select(contacts, _PAGE_TOTAL).join(_PAGE_IDS, contacts.c.id == _PAGE_IDS.c.id).order_by(*NEWEST_FIRST),
    [*contacts.c, _PAGE_TOTAL])
_ACCOUNT_KEYSET = Keyset(contacts, contacts.c.account_id)
# A contact's submissions are numbered as they arrive (submissions.seq): its list walks that number.
_CONTACT_KEYSET = Keyset(submissions, submissions.c.contact_id, submissions.c.account_id, number=submissions.c.seq)


class ContactNotFound(LookupError):
    pass


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


def _locked(session, account_id, contact_id):
    """The contact, locked for this transaction (SELECT … FOR UPDATE on PostgreSQL)."""
    mine = (contacts.c.id == contact_id) & (contacts.c.account_id == account_id)
    return session.execute(select(contacts).where(mine).with_for_update()).first()


def get(account_id, contact_id):
    with statement_reads() as connection:
        rows = driver.execute(connection, _BY_ID, {"p_id": contact_id, "p_account": account_id})
    if not rows:
        raise ContactNotFound(contact_id)
    return as_json(rows[0])


def patch(account_id, contact_id, changes):
    """Apply a merge patch; `email` may change to a valid unused address (no longer confirmed: confirmed_at
    becomes null). Returns the whole contact;
    ContactTooLarge when the patched contact would be past the limits (contact_limits.py), nothing changed."""
    new_email = normalise_email(changes["email"]) if "email" in changes else None
    try:
        with write_transaction() as session:
            row = _locked(session, account_id, contact_id)
            if row is None:
                raise ContactNotFound(contact_id)
            email = new_email or row.email
            # Read, not locked: two PATCHes swapping addresses would each wait for the other's row (deadlock).
            if email != row.email and driver.execute(session.connection(), _BY_EMAIL,
                                                     {"p_account": account_id, "p_email": email}):
                raise EmailTaken()
            fields = merge_patch(row.fields, {k: v for k, v in changes.items() if k != "email"})
            if not fits(fields):
                raise too_large()
            now = utcnow()
            # Double opt-in proves an address, not a contact: a new address starts unconfirmed.
            confirmed_at = row.confirmed_at if email == row.email else None
            session.execute(update(contacts).where(contacts.c.id == contact_id).values(
                email=email, fields=fields, updated_at=now, confirmed_at=confirmed_at))
            updated = as_json({**row._mapping, "email": email, "fields": fields, "updated_at": now,
                               "confirmed_at": confirmed_at})
            events.queue_event(session, account_id, "contact.updated", updated)
    except IntegrityError:  # another writer took the address after our read: the unique index refuses ours
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
    """WHERE conditions for the account's contacts, those whose address holds every term of query or with a
    submission matching it if one is given (a contact's address may have changed since it last posted, and its
    submissions may have been deleted), and only the confirmed (True) or not confirmed (False) ones if
    confirmed is not None (double opt-in)."""
    where = [contacts.c.account_id == account_id]
    if confirmed is not None:
        where.append(contacts.c.confirmed_at.is_not(None) if confirmed else contacts.c.confirmed_at.is_(None))
    matches = search.matching_submissions(account_id, query)
    if matches is not None:
        where.append(or_(search.address_matches(contacts.c.email, query), contacts.c.id.in_(
            select(submissions.c.contact_id).where(submissions.c.id.in_(select(matches.c.submission_id))))))
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
    params = {"p_account": account_id, "p_limit": page_size, "p_offset": offset}
    with statement_reads() as connection:
        if email is not None:
            rows = driver.execute(connection, _BY_EMAIL, {**params, "p_email": normalise_email(email)})
            rows = [r for r in rows if confirmed is None or (r["confirmed_at"] is not None) == confirmed]
            data = [as_json(r) for r in rows[offset:offset + page_size]]
            return page_envelope(data, page, page_size, len(rows))
        if offset:  # a page past the end must not walk the whole index to find out it is empty
            total = _total(connection, params)
            if offset >= total:
                return page_envelope([], page, page_size, total)
        rows = driver.execute(connection, _PAGE if offset else _FIRST_PAGE, params)
        # no contacts at all: the counter alone
        total = rows[0]["total"] if rows else _total(connection, params)
    return page_envelope([as_json(r) for r in rows], page, page_size, total)


def _total(connection, params):
    """The account's contact counter."""
    rows = driver.execute(connection, _TOTAL, params)
    return (rows[0]["total"] if rows else 0) or 0


def cursor_page(account_id, cursor, email=None, confirmed=None):
    """A cursor page of contacts, newest first (see pagination.keyset_page): the one with email, or all,
    or only those whose confirmation is as confirmed asks."""
    if email is None and confirmed is None:
        with statement_reads() as connection:
            return _ACCOUNT_KEYSET.page(connection, cursor, as_json, account_id=account_id)
    where = conditions(account_id, confirmed=confirmed)
    if email is not None:
        where.append(contacts.c.email == normalise_email(email))
    with read_connection() as connection:
        return keyset_page(connection, contacts, where, cursor, lambda row: as_json(row._mapping))


def submissions_cursor_page(account_id, contact_id, cursor):
    """A cursor page of a contact's submissions, newest first."""
    get(account_id, contact_id)
    with statement_reads() as connection:
        return _CONTACT_KEYSET.page(connection, cursor, submission_as_json,
                                     contact_id=contact_id, account_id=account_id)


def list_submissions(account_id, contact_id, page, page_size):
    """One page of a contact's submissions, newest first."""
    get(account_id, contact_id)
    where = and_(submissions.c.contact_id == contact_id, submissions.c.account_id == account_id)
    total = db.session.scalar(select(func.count()).select_from(submissions).where(where))
    rows = db.session.execute(
        select(submissions).where(where).order_by(submissions.c.seq.desc())
        .limit(page_size).offset((page - 1) * page_size)
    ).all()
    return page_envelope([submission_as_json(r._mapping) for r in rows], page, page_size, total)


def submission_as_json(row):
    """A stored submission (a mapping of its columns) as the API shows it."""
    return {"id": row["id"], "contact_id": row["contact_id"], "key_id": row["key_id"], "fields": row["fields"],
            "created_at": timestamp(row["created_at"])}
