"""The write side of a submission: the contact inserted or updated, the submission recorded, a new contact
counted and the contact's oldest submissions pruned, in as few statements and round trips as each
database allows. This is the create path's hot loop (issue 14), hence the shape:

- PostgreSQL: one statement of data-modifying CTEs inserts the contact or, when the address is taken, locks
  the existing row and returns it as last committed, its submission_seq counting this submission (ON
  CONFLICT DO UPDATE; DO NOTHING would leave it unlocked, and a SELECT in the same statement would not see a
  row committed by a concurrent insert), counts the contact when it is new (the returned id is ours; a
  change row, contact_counts.py, so no create waits on its account's row), records the submission and
  returns, in the same row, who hears of it (audience.py). What a new contact causes whoever listens (the
  owner's mail: upsert's if_new) is queued by that statement too, if the contact is new; the deliveries that
  depend on the audience are built in Python and take a second statement: alone for a new contact, with the
  merged fields and the prune for an existing one. BEGIN, one or two statements, COMMIT. (psycopg's pipeline
  mode could send BEGIN with the first statement and COMMIT with the last, but on a local server its own
  work costs more than the round trips it saves.)
- SQLite has no data-modifying CTEs and no round trips (it runs in-process): the same steps as single
  statements in the one BEGIN IMMEDIATE transaction of database.write_connection.
- Every submission is numbered within its contact (submissions.seq, from the contact's submission_seq), so
  the prune deletes one range of an index (seq ≤ the newest's − SUBMISSIONS_PER_CONTACT) instead of walking
  past the newest 1,000 on every post. A submission deleted by hand does not bring an older one back under the
  cap: a contact keeps those of its newest SUBMISSIONS_PER_CONTACT submissions that were not deleted.
- Fields are merged in Python: the column is JSON text that keeps the order fields were sent in; a field sent
  as null is stored as null and a nested object replaces the old one whole. PostgreSQL's `jsonb ||` reorders
  keys and SQLite's json_patch deletes null members and merges nested objects: neither is that merge.
- Statements are built from the Table objects, so columns and Python-side defaults other features add apply.
  Each is compiled once per database and run on the driver's cursor (driver.py): SQLAlchemy cannot cache
  an ON CONFLICT statement (compiling one costs milliseconds), and its execution layer costs more per
  statement than SQLite's own work. Never the ORM: no unit of work, no objects loaded."""
from dataclasses import dataclass
from functools import lru_cache, partial

from flask import current_app
from sqlalchemy import bindparam, delete, literal_column, select, update

from . import audience, contact_counts, driver
from .addresses import normalise_email
from .contact_limits import fits, too_large
from .contacts import as_json
from .database import dialect_module, write_connection
from .deliveries import outbox
from .ids import random_id
from .models import Contact, Submission, utcnow

contacts = Contact.__table__
submissions = Submission.__table__


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


def _defaulted(table, given):
    """table's columns not in given that have a Python-side default: a statement run on the driver does not get those,
    so the statements below bind them (_default_binds) and upsert passes their values (_default_values)."""
    return [column for column in table.c
            if column.name not in given and column.default is not None and not column.default.is_sequence]


def _default_binds(columns):
    return {column.name: bindparam(f"default_{column.table.name}_{column.name}", type_=column.type)
            for column in columns}


def _default_values(columns):
    """Each column's default now (a callable default gets no execution context: it must not need one)."""
    return {f"default_{column.table.name}_{column.name}":
            column.default.arg(None) if column.default.is_callable else column.default.arg for column in columns}


_CONTACT_VALUES = {
    "id": bindparam("p_id"), "account_id": bindparam("p_account"), "email": bindparam("p_email"),
    "fields": bindparam("p_fields", type_=contacts.c.fields.type),
    "created_at": bindparam("p_now", type_=contacts.c.created_at.type),
    "updated_at": bindparam("p_now", type_=contacts.c.updated_at.type),
    "submission_seq": literal_column("1"),  # this submission is its first
}
_SUBMISSION_VALUES = {
    "id": bindparam("p_submission"), "account_id": bindparam("p_account"), "key_id": bindparam("p_key"),
    "fields": bindparam("p_sent", type_=submissions.c.fields.type),
    "created_at": bindparam("p_now", type_=submissions.c.created_at.type),
    "page": bindparam("p_page"), "user_agent": bindparam("p_user_agent"), "contact_id": bindparam("p_contact"),
    "seq": bindparam("p_seq"),
}
_DEFAULTED = _defaulted(contacts, _CONTACT_VALUES) + _defaulted(submissions, _SUBMISSION_VALUES)


def _insert_or_lock(dialect_name):
    """INSERT the contact; on conflict lock the existing row, count this submission in its submission_seq and
    return it as it is otherwise."""
    insert = dialect_module(dialect_name).insert(contacts)
    return (
        insert.values({**_CONTACT_VALUES, **_default_binds(_defaulted(contacts, _CONTACT_VALUES))})
        .on_conflict_do_update(index_elements=[contacts.c.account_id, contacts.c.email],
                               set_={"submission_seq": contacts.c.submission_seq + 1})
        .returning(*contacts.c)
    )


def _insert_count_and_record(dialect_name, queued_if_new=0):
    """PostgreSQL's one statement: _insert_or_lock, the contact counted if the row returned is the one we
    inserted (its id is ours), the submission recorded for whichever contact it is, and `queued_if_new`
    deliveries (outbox.queued_params) queued if it is new; returns the contact and, in the same row, the
    submission's audience (audience.COLUMNS)."""
    upserted = _insert_or_lock(dialect_name).cte("upserted")
    is_new = upserted.c.id == bindparam("p_id")  # the row returned is the one we inserted: its id is ours
    ctes = [contact_counts.change_if_new(upserted, is_new).cte("counted")]
    if queued_if_new:
        ctes.append(outbox.insert_where(queued_if_new, upserted, is_new).cte("queued"))
    submission_values = {**_SUBMISSION_VALUES, **_default_binds(_defaulted(submissions, _SUBMISSION_VALUES)),
                         "contact_id": upserted.c.id, "seq": upserted.c.submission_seq}
    recorded = submissions.insert().from_select(
        list(submission_values), select(*submission_values.values()).select_from(upserted),
        include_defaults=False,
    ).cte("recorded")
    return select(*upserted.c, *audience.columns()).add_cte(*ctes, recorded)


@lru_cache(maxsize=outbox.ROWS_PER_INSERT + 1)
def _first_statement(queued_if_new):
    return driver.Statement(partial(_insert_count_and_record, queued_if_new=queued_if_new),
                            [*contacts.c, *audience.COLUMNS])


_INSERT_OR_LOCK = driver.Statement(_insert_or_lock, contacts.c)
_COUNT_NEW = driver.Statement(contact_counts.BUMP_IN_PLACE)
_RECORD = driver.Statement(submissions.insert().values(
    {**_SUBMISSION_VALUES, **_default_binds(_defaulted(submissions, _SUBMISSION_VALUES))}))
_OVERWRITE = (
    update(contacts).where(contacts.c.id == bindparam("p_contact"))
    .values(fields=bindparam("p_fields", type_=contacts.c.fields.type),
            updated_at=bindparam("p_now", type_=contacts.c.updated_at.type))
)
# The contact's submissions numbered p_upto or less: those past the newest SUBMISSIONS_PER_CONTACT it received,
# one range of ix_submissions_contact_seq (a walk past the newest 1,000 on every post, before migration 0012).
_PRUNE = delete(submissions).where(submissions.c.contact_id == bindparam("p_contact"),
                                   submissions.c.seq <= bindparam("p_upto"))


@lru_cache(maxsize=2 * (outbox.ROWS_PER_INSERT + 1))
def _prune_overwrite_and_queue(overwrite, queued):
    """PostgreSQL's one statement for an existing contact: _PRUNE, with as CTEs its merged fields written
    (if overwrite) and `queued` deliveries queued (outbox.insert_of)."""
    statement = _PRUNE
    if overwrite:
        statement = statement.add_cte(_OVERWRITE.cte("overwritten"))
    if queued:
        statement = statement.add_cte(outbox.insert_of(queued).cte("queued"))
    return driver.Statement(statement)


_OVERWRITE_ALONE, _PRUNE_ALONE = driver.Statement(_OVERWRITE), driver.Statement(_PRUNE)  # SQLite's


def _merged(contact, fields, keep_fields_when_full):
    """The existing contact's fields with fields merged in; None when they would not fit and the contact keeps
    its own (keep_fields_when_full), else ContactTooLarge."""
    merged = {**contact["fields"], **fields}
    if fits(merged):
        return merged
    if keep_fields_when_full:
        return None
    raise too_large()


def _update_existing(connection, params, overwrite, outgoing):
    """The existing contact's writes: its merged fields (if overwrite), its oldest submissions pruned, and
    the deliveries queued: on PostgreSQL in one statement."""
    if connection.dialect.name != "postgresql":
        if overwrite:
            driver.execute(connection, _OVERWRITE_ALONE, params)
        driver.execute(connection, _PRUNE_ALONE, params)
        outbox.queue(connection, *outgoing)
        return
    queued = outgoing if len(outgoing) <= outbox.ROWS_PER_INSERT else ()  # more: statements of their own
    driver.execute(connection, _prune_overwrite_and_queue(overwrite, len(queued)),
                   {**params, **outbox.queued_params(queued)})
    if not queued:
        outbox.queue(connection, *outgoing)


def upsert(account_id, email, fields, key_id, *, source=Source(), keep_fields_when_full=False, then=None,
           if_new=None):
    """Create the contact for email, or overwrite the given fields of the existing one; atomic.

    Returns (contact as JSON, created). The submission is recorded, with its source, in the same transaction, and the
    contact's oldest submissions past SUBMISSIONS_PER_CONTACT are pruned there too. A contact never holds
    more than MAX_CONTACT_BYTES / MAX_CONTACT_FIELDS: fields too large by themselves raise ContactTooLarge;
    so does a merge that would grow past the cap, unless keep_fields_when_full, when the contact keeps its
    fields and the submission alone is recorded (a publishable key's caller must not learn what is stored).
    then(connection, contact as JSON, created, submission id, the submission's audience.Audience) returns the
    deliveries (outbox.Outgoing) the submission causes: they are queued in the same transaction, as is
    whatever then writes itself. On PostgreSQL, if_new({"id", "email"} of the contact, were it new) returns
    the deliveries a new contact causes that need nothing read first, queued in the first statement if it is
    new; `then` leaves them out for a new contact (notifications.SubmissionNotices). SQLite never calls it."""
    if not fits(fields):
        raise too_large()
    email = normalise_email(email)
    params = {
        "p_id": random_id("con_"), "p_account": account_id, "p_email": email, "p_fields": fields, "p_now": utcnow(),
        "p_submission": random_id("sub_"), "p_key": key_id, "p_sent": {"email": email, **fields},
        "p_page": source.page, "p_user_agent": source.user_agent, **_default_values(_DEFAULTED),
    }
    with write_connection() as connection:
        if connection.dialect.name == "postgresql":
            queued_if_new = () if if_new is None else if_new({"id": params["p_id"], "email": email})
            [row] = driver.execute(connection, _first_statement(len(queued_if_new)),
                                   {**params, **outbox.queued_params(queued_if_new)})
            contact, heard_by = {column.key: row[column.key] for column in contacts.c}, audience.from_row(row)
        else:
            [contact] = driver.execute(connection, _INSERT_OR_LOCK, params)
            if contact["id"] == params["p_id"]:
                driver.execute(connection, _COUNT_NEW, params)
            driver.execute(connection, _RECORD,
                           {**params, "p_contact": contact["id"], "p_seq": contact["submission_seq"]})
            heard_by = None if then is None else audience.of_key(connection, account_id, key_id)
        created = contact["id"] == params["p_id"]
        merged = None if created else _merged(contact, fields, keep_fields_when_full)
        if merged is not None:
            contact = {**contact, "fields": merged, "updated_at": params["p_now"]}
        shown = as_json(contact)
        outgoing = () if then is None else then(connection, shown, created, params["p_submission"], heard_by)
        if created:
            outbox.queue(connection, *outgoing)
        else:
            upto = contact["submission_seq"] - current_app.config["SUBMISSIONS_PER_CONTACT"]
            _update_existing(connection, {**params, "p_contact": contact["id"], "p_fields": merged, "p_upto": upto},
                             merged is not None, outgoing)
    return shown, created
