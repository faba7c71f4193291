"""The spam folder: submissions judged spam, kept so their owner can say "Not spam", never as contacts.

Bounded on every write, in the writer's transaction: rows older than SPAM_KEEP_DAYS go, and the account's
oldest past SPAM_FOLDER_LIMIT. `flask spam prune` clears old rows of accounts that get no more spam; the
pages never show a row older than SPAM_KEEP_DAYS either way."""
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import bindparam, delete, func, or_, select

from .addresses import InvalidEmail, normalise_email
from .contacts import timestamp
from .database import read_connection, write_connection
from .ids import random_id
from .models import ApiKey, SpamSubmission, utcnow
from .personal_data import Part, holds_address

spam = SpamSubmission.__table__
api_keys = ApiKey.__table__
NEWEST_FIRST = (spam.c.created_at.desc(), spam.c.id.desc())
PRUNE_BATCH = 1000
OWNER = "owner"  # the reason of a submission its owner moved here from the inbox
_ID = re.compile(r"spm_[a-z0-9]{1,28}")
# What the owner reads for each reason code (spam.Verdict.reason); an unknown code is shown as it is.
REASONS = {
    "honeypot": "A hidden field was filled in (a bot)",
    "challenge_failed": "The challenge was not solved",
    "rule_links": "Too many links",
    "rule_blocked_word": "A blocked word",
    "rule_blocked_sender": "A blocked sender",
    "rule_required_field": "A required field is missing",
    OWNER: "Moved here by you",
}
# The account's rows past the newest p_keep, read newest first by its index.
_OVER_LIMIT = delete(spam).where(spam.c.id.in_(
    select(spam.c.id).where(spam.c.account_id == bindparam("p_account"))
    .order_by(*NEWEST_FIRST).offset(bindparam("p_keep")).scalar_subquery()
))


class SpamNotFound(LookupError):
    pass


@dataclass(frozen=True)
class SpamItem:
    id: str
    key_id: str | None
    key_name: str | None
    email: str | None
    fields: dict = field(repr=False)
    reason: str = ""
    detail: str = ""
    page: str | None = None
    user_agent: str | None = None
    created_at: datetime | None = None

    @property
    def reason_text(self):
        return REASONS.get(self.reason, self.reason)


@dataclass(frozen=True)
class SpamPage:
    items: list
    page: int
    page_size: int
    has_more: bool


def _cutoff(now=None):
    return (now or utcnow()) - timedelta(days=current_app.config["SPAM_KEEP_DAYS"])


def row_values(account_id, key_id, email, fields, reason, detail, source, now):
    """A spam_submissions row: email as sent (a string, else left in fields), and its normalised address
    when it is one (what erasing a person finds it by)."""
    fields = dict(fields)
    if email is not None and not isinstance(email, str):
        fields = {"email": email, **fields}
        email = None
    try:
        address = normalise_email(email)
    except InvalidEmail:
        address = None
    return {"id": random_id("spm_"), "account_id": account_id, "key_id": key_id, "email": email and email[:320],
            "address": address, "fields": fields, "reason": reason, "detail": (detail or "")[:300],
            "page": source.page, "user_agent": source.user_agent, "created_at": now}


def bound(connection, account_id, now):
    """Inside a write: drop the account's rows that are too old, then those past the limit."""
    connection.execute(delete(spam).where(spam.c.account_id == account_id, spam.c.created_at < _cutoff(now)))
    connection.execute(_OVER_LIMIT, {"p_account": account_id, "p_keep": current_app.config["SPAM_FOLDER_LIMIT"]})


def keep(principal, email, fields, verdict, source, also=None):
    """Keep a submission judged spam (verdict says why); returns its id. also(connection), when given, writes
    in that transaction too (spending the post's challenge solution)."""
    now = utcnow()
    values = row_values(principal.account_id, principal.key_id, email, fields, verdict.reason, verdict.detail,
                        source, now)
    with write_connection() as connection:
        connection.execute(spam.insert(), values)
        bound(connection, principal.account_id, now)
        if also is not None:
            also(connection)
    return values["id"]


def _listing(account_id):
    label = func.coalesce(func.nullif(api_keys.c.name, ""), api_keys.c.display)
    return (select(spam, label.label("key_name")).outerjoin(api_keys, api_keys.c.id == spam.c.key_id)
            .where(spam.c.account_id == account_id, spam.c.created_at >= _cutoff()))


def _item(row):
    return SpamItem(row.id, row.key_id, row.key_name, row.email, row.fields or {}, row.reason, row.detail,
                    row.page, row.user_agent, row.created_at)


def page_of(account_id, page, page_size, key_id=None):
    """One page of the account's spam, newest first (of one key when key_id is given)."""
    query = _listing(account_id)
    if key_id:
        query = query.where(spam.c.key_id == key_id)
    with read_connection() as connection:
        rows = connection.execute(query.order_by(*NEWEST_FIRST).limit(page_size + 1)
                                  .offset((page - 1) * page_size)).all()
    return SpamPage([_item(row) for row in rows[:page_size]], page, page_size, len(rows) > page_size)


def count(account_id):
    with read_connection() as connection:
        return connection.execute(select(func.count()).select_from(spam).where(
            spam.c.account_id == account_id, spam.c.created_at >= _cutoff())).scalar()


def get(account_id, spam_id):
    """One of the account's spam submissions; SpamNotFound for another account's or an unknown id."""
    if not isinstance(spam_id, str) or not _ID.fullmatch(spam_id):
        raise SpamNotFound(spam_id)
    with read_connection() as connection:
        row = connection.execute(_listing(account_id).where(spam.c.id == spam_id)).first()
    if row is None:
        raise SpamNotFound(spam_id)
    return _item(row)


def valid_ids(ids):
    """The well-formed spam ids of a list (a bulk form's checkboxes), without repeats."""
    return list(dict.fromkeys(i for i in ids if isinstance(i, str) and _ID.fullmatch(i)))


def delete_spam(account_id, ids):
    """Delete the account's spam submissions among ids for good; returns how many went."""
    with write_connection() as connection:
        return connection.execute(delete(spam).where(spam.c.account_id == account_id,
                                                     spam.c.id.in_(valid_ids(ids)))).rowcount


def prune(now=None):
    """Delete every spam submission older than SPAM_KEEP_DAYS, in batches (short write transactions);
    the number deleted."""
    cutoff, total = _cutoff(now), 0
    while True:
        with write_connection() as connection:
            batch = select(spam.c.id).where(spam.c.created_at < cutoff).limit(PRUNE_BATCH).scalar_subquery()
            deleted = connection.execute(delete(spam).where(spam.c.id.in_(batch))).rowcount
        total += deleted
        if deleted < PRUNE_BATCH:
            return total


def _about(account_id, email):
    return (spam.c.account_id == account_id) & or_(spam.c.address == email, holds_address(spam.c.fields, email))


def _find(connection, account_id, email):
    rows = connection.execute(select(spam).where(_about(account_id, email)).order_by(spam.c.created_at, spam.c.id))
    return [{"id": r.id, "key_id": r.key_id, "email": r.email, "fields": r.fields, "reason": r.reason,
             "detail": r.detail, "page": r.page, "user_agent": r.user_agent, "created_at": timestamp(r.created_at)}
            for r in rows]


def _erase(connection, account_id, email):
    return connection.execute(delete(spam).where(_about(account_id, email))).rowcount


PERSONAL_DATA = Part("spam", ("spam_submissions",), _find, _erase)
