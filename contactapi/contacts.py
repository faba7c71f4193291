"""Contacts: the atomic upsert, merge-patch, delete, newest-first pages, and the submissions kept."""
from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.exc import IntegrityError

from .addresses import normalise_email
from .database import insert_statement, write_transaction
from .extensions import db
from .ids import random_id
from .models import Account, Contact, Submission, utcnow
from .pagination import page_envelope

contacts = Contact.__table__
submissions = Submission.__table__
accounts = Account.__table__
NEWEST_FIRST = (contacts.c.created_at.desc(), contacts.c.id.desc())


class ContactNotFound(LookupError):
    pass


class EmailTaken(ValueError):
    def __init__(self):
        super().__init__("Another contact already has this email")


def timestamp(moment):
    """ISO 8601 UTC with milliseconds and Z."""
    return moment.isoformat(timespec="milliseconds") + "Z"


def as_json(contact):
    """A stored contact (a mapping of its columns) as the API shows it: id, email, fields, timestamps."""
    return {
        "id": contact["id"],
        "email": contact["email"],
        **contact["fields"],
        "created_at": timestamp(contact["created_at"]),
        "updated_at": timestamp(contact["updated_at"]),
    }


def _change_count(session, account_id, delta):
    session.execute(
        update(accounts).where(accounts.c.id == account_id).values(contact_count=accounts.c.contact_count + delta)
    )


def _locked(session, account_id, **where):
    """The contact matching where, locked for this transaction (SELECT … FOR UPDATE on PostgreSQL)."""
    conditions = [contacts.c.account_id == account_id] + [contacts.c[k] == v for k, v in where.items()]
    return session.execute(select(contacts).where(*conditions).with_for_update()).first()


def upsert(account_id, email, fields, key_id):
    """Create the contact for email, or overwrite the given fields of the existing one; atomic.

    Returns (contact as JSON, created). The submission is recorded in the same transaction."""
    email = normalise_email(email)
    now = utcnow()
    with write_transaction() as session:
        new_id = random_id("con_")
        insert = insert_statement(contacts).values(
            id=new_id, account_id=account_id, email=email, fields=fields, created_at=now, updated_at=now
        )
        created = session.execute(
            insert.on_conflict_do_nothing(index_elements=["account_id", "email"]).returning(contacts.c.id)
        ).first() is not None
        if created:
            _change_count(session, account_id, +1)
            contact = {"id": new_id, "email": email, "fields": fields, "created_at": now, "updated_at": now}
        else:
            existing = _locked(session, account_id, email=email)
            contact = {**existing._mapping, "fields": {**existing.fields, **fields}, "updated_at": now}
            session.execute(
                update(contacts).where(contacts.c.id == existing.id).values(fields=contact["fields"], updated_at=now)
            )
        session.execute(
            submissions.insert().values(
                id=random_id("sub_"), contact_id=contact["id"], account_id=account_id, key_id=key_id,
                fields={"email": email, **fields}, created_at=now,
            )
        )
    return as_json(contact), created


def get(account_id, contact_id):
    row = db.session.execute(
        select(contacts).where(contacts.c.id == contact_id, contacts.c.account_id == account_id)
    ).first()
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
    except IntegrityError:  # another writer took the address between our check and our update
        raise EmailTaken() from None
    return as_json({**row._mapping, "email": email, "fields": fields, "updated_at": now})


def remove(account_id, contact_id):
    """Delete a contact and its submissions."""
    with write_transaction() as session:
        deleted = session.execute(
            delete(contacts).where(contacts.c.id == contact_id, contacts.c.account_id == account_id)
        ).rowcount
        if not deleted:
            raise ContactNotFound(contact_id)
        session.execute(delete(submissions).where(submissions.c.contact_id == contact_id))
        _change_count(session, account_id, -1)


def list_page(account_id, page, page_size, email=None):
    """One page of contacts, newest first; total comes from the account's counter, not count(*)."""
    if email is not None:
        rows = db.session.execute(
            select(contacts).where(contacts.c.account_id == account_id, contacts.c.email == normalise_email(email))
        ).all()
        start = (page - 1) * page_size
        data = [as_json(r._mapping) for r in rows[start:start + page_size]]
        return page_envelope(data, page, page_size, len(rows))
    total = db.session.scalar(select(accounts.c.contact_count).where(accounts.c.id == account_id)) or 0
    offset = (page - 1) * page_size
    if offset >= total:
        return page_envelope([], page, page_size, total)
    # Deferred join: walk the covering index for the ids, then fetch only this page's rows.
    ids = (
        select(contacts.c.id).where(contacts.c.account_id == account_id)
        .order_by(*NEWEST_FIRST).limit(page_size).offset(offset).subquery()
    )
    rows = db.session.execute(select(contacts).join(ids, contacts.c.id == ids.c.id).order_by(*NEWEST_FIRST)).all()
    return page_envelope([as_json(r._mapping) for r in rows], page, page_size, total)


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
    data = [
        {"id": r.id, "contact_id": r.contact_id, "key_id": r.key_id, "fields": r.fields,
         "created_at": timestamp(r.created_at)}
        for r in rows
    ]
    return page_envelope(data, page, page_size, total)
