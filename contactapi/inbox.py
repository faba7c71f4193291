"""The inbox: every submission of an account, newest first (or best match first when searching), its filters,
read/unread, and deleting submissions. The views and the exports read through the same filter."""
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import delete, func, select, update

from . import search
from .database import read_connection, write_connection
from .models import ApiKey, Submission, utcnow

submissions = Submission.__table__
api_keys = ApiKey.__table__
NEWEST_FIRST = (submissions.c.created_at.desc(), submissions.c.id.desc())
STATES = ("read", "unread")
PREVIEW_LINES = 2
PREVIEW_CHARS = 160
_ID = re.compile(r"sub_[A-Za-z0-9]{1,28}")


class InvalidFilter(ValueError):
    pass


class SubmissionNotFound(LookupError):
    pass


def _day(args, name):
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidFilter(f"{name} must be a date like 2026-11-21") from None


@dataclass(frozen=True)
class InboxFilter:
    """What the inbox (and its export) shows: one key, a date range (UTC days, both included), read or
    unread, and a search."""

    key_id: str | None = None
    since: date | None = None
    until: date | None = None
    state: str | None = None
    query: str = ""

    @classmethod
    def from_args(cls, args):
        """The filter a query string asks for; InvalidFilter with a sentence when a value is wrong."""
        state = args.get("state") or None
        if state not in (None, *STATES):
            raise InvalidFilter("state must be read or unread")
        try:
            query = search.checked_query(args.get("q"))
        except search.InvalidQuery as error:
            raise InvalidFilter(str(error)) from None
        since, until = _day(args, "since"), _day(args, "until")
        if since and until and since > until:
            raise InvalidFilter("The first day must not be after the last day")
        return cls(args.get("key") or None, since, until, state, query)

    def as_args(self):
        """The query string arguments that ask for this filter (for links to pages and exports)."""
        values = {"key": self.key_id, "since": self.since and self.since.isoformat(),
                  "until": self.until and self.until.isoformat(), "state": self.state, "q": self.query}
        return {name: value for name, value in values.items() if value}

    @property
    def active(self):
        return bool(self.as_args())

    def conditions(self, account_id, with_search=True):
        """WHERE conditions of the account's submissions this filter keeps (the search left to the caller
        when with_search is false, so it can join the matches and rank by them)."""
        where = [submissions.c.account_id == account_id]
        if self.key_id:
            where.append(submissions.c.key_id == self.key_id)
        if self.since:
            where.append(submissions.c.created_at >= datetime.combine(self.since, time()))
        if self.until and self.until < date.max:  # every submission is before the end of the last day there is
            where.append(submissions.c.created_at < datetime.combine(self.until + timedelta(days=1), time()))
        if self.state:
            where.append(submissions.c.read_at.is_(None) if self.state == "unread" else submissions.c.read_at.isnot(None))
        matches = search.matching_submissions(account_id, self.query) if with_search else None
        if matches is not None:
            where.append(submissions.c.id.in_(select(matches.c.submission_id)))
        return where


@dataclass(frozen=True)
class InboxItem:
    id: str
    contact_id: str
    sender: str
    preview: str
    key_id: str | None
    key_name: str | None
    page: str | None
    user_agent: str | None
    created_at: datetime
    read: bool
    fields: dict = field(repr=False)


@dataclass(frozen=True)
class InboxPage:
    items: list
    page: int
    page_size: int
    has_more: bool


def preview(fields):
    """The first lines of the message: the `message` field, else the first text field other than email."""
    text = fields.get("message")
    if not isinstance(text, str):
        text = next((v for k, v in fields.items() if k != "email" and isinstance(v, str) and v.strip()), "")
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()][:PREVIEW_LINES]
    shown = " · ".join(lines)
    return shown if len(shown) <= PREVIEW_CHARS else shown[:PREVIEW_CHARS - 1] + "…"


def _item(row):
    fields = row.fields or {}
    return InboxItem(row.id, row.contact_id, fields.get("email", ""), preview(fields), row.key_id,
                     row.key_name, row.page, row.user_agent, row.created_at, row.read_at is not None, fields)


def _with_key_names(query):
    label = func.coalesce(func.nullif(api_keys.c.name, ""), api_keys.c.display)
    return query.add_columns(label.label("key_name")).outerjoin(api_keys, api_keys.c.id == submissions.c.key_id)


def page_of(account_id, inbox_filter, page, page_size):
    """One page of the inbox; a search lists best matches first among the newest (search.RANKED_WINDOW at a
    time, the filter applied before), otherwise newest first."""
    where = inbox_filter.conditions(account_id, with_search=False)
    query = _with_key_names(select(submissions)).where(*where)
    matches = search.matching_submissions(account_id, inbox_filter.query, within=where, through=page * page_size + 1)
    if matches is not None:
        query = query.join(matches, matches.c.submission_id == submissions.c.id).order_by(
            matches.c.window, matches.c.score.desc(), *NEWEST_FIRST)
    else:
        query = query.order_by(*NEWEST_FIRST)
    with read_connection() as connection:
        rows = connection.execute(query.limit(page_size + 1).offset((page - 1) * page_size)).all()
    return InboxPage([_item(row) for row in rows[:page_size]], page, page_size, len(rows) > page_size)


def unread_count(account_id):
    with read_connection() as connection:
        return connection.execute(select(func.count()).select_from(submissions).where(
            submissions.c.account_id == account_id, submissions.c.read_at.is_(None))).scalar()


def open_submission(account_id, submission_id):
    """One submission of the account, marked read as it is opened."""
    with write_connection() as connection:
        connection.execute(update(submissions).where(
            submissions.c.id == submission_id, submissions.c.account_id == account_id, submissions.c.read_at.is_(None)
        ).values(read_at=utcnow()))
        row = connection.execute(_with_key_names(select(submissions)).where(
            submissions.c.id == submission_id, submissions.c.account_id == account_id)).first()
    if row is None:
        raise SubmissionNotFound(submission_id)
    return _item(row)


def valid_ids(ids):
    """The well-formed submission ids of a list (a bulk form's checkboxes), without repeats."""
    return list(dict.fromkeys(i for i in ids if _ID.fullmatch(i)))


def mark(account_id, ids, read):
    """Mark the account's submissions among ids read (or unread); returns how many changed."""
    state = submissions.c.read_at.is_(None) if read else submissions.c.read_at.isnot(None)
    with write_connection() as connection:
        return connection.execute(update(submissions).where(
            submissions.c.account_id == account_id, submissions.c.id.in_(valid_ids(ids)), state
        ).values(read_at=utcnow() if read else None)).rowcount


def remove(account_id, ids):
    """Delete the account's submissions among ids (their contacts stay); returns how many went."""
    with write_connection() as connection:
        return connection.execute(delete(submissions).where(
            submissions.c.account_id == account_id, submissions.c.id.in_(valid_ids(ids)))).rowcount

