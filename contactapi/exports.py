"""Exports of contacts and of submissions as CSV, JSON or NDJSON, written as they are read.

Rows come from one streaming cursor in batches of BATCH and leave as text chunks, so memory stays flat
whatever the size. A CSV header needs every field name before the first row: the database is asked for
the distinct names first (json_each / json_object_keys, a small set), so the rows themselves are read once
and never held. Every CSV cell is quoted and formula-like text neutralised, so spreadsheets open it safely."""
import csv
import io
import json
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import select, true

from . import contacts as contacts_module
from .extensions import db
from .inbox import NEWEST_FIRST as SUBMISSIONS_NEWEST_FIRST
from .models import Contact, Submission

BATCH = 1000
CHUNK = 64 * 1024  # characters gathered before a chunk is sent
FORMATS = {"csv": "text/csv", "json": "application/json", "ndjson": "application/x-ndjson"}
# A spreadsheet runs a cell as a formula when its text, leading whitespace aside, starts with one of these.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Export:
    """What one export reads: its rows in order, how a row becomes a record, and the CSV columns."""

    name: str
    rows: object  # a SELECT
    record: Callable  # row → the record as JSON shows it
    cells: Callable  # record → a flat {column: value} for CSV
    fixed_columns: tuple
    field_names: object  # a SELECT of the distinct field names of the same rows
    field_column: Callable = str  # a field's name → its CSV column


def neutralise(cell):
    """Text for one CSV cell: nested values as JSON; formula-like text prefixed with a quote."""
    if cell is None:
        return ""
    if not isinstance(cell, str):
        cell = json.dumps(cell, ensure_ascii=False)
    if cell.startswith(FORMULA_STARTS) or cell.lstrip().startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


def _field_names(table, where):
    if db.session.get_bind().dialect.name == "sqlite":
        names = db.func.json_each(table.c.fields).table_valued("key")
        return select(names.c.key).select_from(table.join(names, true())).where(*where).distinct()
    return select(db.func.json_object_keys(table.c.fields)).where(*where).distinct()


def contacts_export(account_id, query="", confirmed=None):
    """The account's contacts as the API shows them, newest first; those matching query (and confirmed,
    see contacts.conditions) if one is given."""
    table = Contact.__table__
    where = contacts_module.conditions(account_id, query, confirmed)
    return Export("contacts", select(table).where(*where).order_by(*contacts_module.NEWEST_FIRST),
                  lambda row: contacts_module.as_json(row._mapping), dict,
                  contacts_module.FIXED_COLUMNS, _field_names(table, where))


def _submission_record(row):
    return {"id": row.id, "contact_id": row.contact_id, "key_id": row.key_id, "page": row.page,
            "user_agent": row.user_agent, "read": row.read_at is not None,
            "created_at": contacts_module.timestamp(row.created_at), "fields": row.fields}


# The submissions CSV's first columns: the submission's own facts, and the address (its "email" field).
_SUBMISSION_COLUMNS = ("id", "contact_id", "email", "key_id", "page", "user_agent", "read", "created_at")
_FIELD_PREFIX = "field:"


def _submission_field_column(name):
    """A submitted field's CSV column: its name, unless that names one of the submission's own facts (a visitor
    may well send "page" or "read"), then prefixed, so neither hides the other. Names already starting with
    the prefix are prefixed too, so no two fields share a column."""
    clashes = name != "email" and name in _SUBMISSION_COLUMNS
    return _FIELD_PREFIX + name if clashes or name.startswith(_FIELD_PREFIX) else name


def _submission_cells(record):
    fields = {_submission_field_column(name): value for name, value in record["fields"].items()}
    return {**fields, **{name: value for name, value in record.items() if name != "fields"}}


def submissions_export(account_id, inbox_filter):
    """The account's submissions that inbox_filter keeps, newest first."""
    table = Submission.__table__
    where = inbox_filter.conditions(account_id)
    return Export("submissions", select(table).where(*where).order_by(*SUBMISSIONS_NEWEST_FIRST),
                  _submission_record, _submission_cells,
                  _SUBMISSION_COLUMNS, _field_names(table, where), _submission_field_column)


def _records(connection, export):
    result = connection.execution_options(stream_results=True, yield_per=BATCH).execute(export.rows)
    for row in result:
        yield export.record(row)


def _flushed(out):
    """The text gathered so far; `out` is emptied for the next chunk."""
    text = out.getvalue()
    out.seek(0)
    out.truncate()
    return text


def _csv_lines(connection, export):
    names = sorted({export.field_column(name) for name in connection.execute(export.field_names).scalars()}
                   - set(export.fixed_columns))
    columns = list(export.fixed_columns) + names
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL)
    writer.writerow([neutralise(name) for name in columns])
    for record in _records(connection, export):
        cells = export.cells(record)
        writer.writerow([neutralise(cells.get(name)) for name in columns])
        if out.tell() >= CHUNK:
            yield _flushed(out)
    yield _flushed(out)


def _json_lines(connection, export, ndjson):
    out = io.StringIO()
    out.write("" if ndjson else "[")
    for number, record in enumerate(_records(connection, export)):
        line = json.dumps(record, ensure_ascii=False)
        out.write(line + "\n" if ndjson else ("\n" if number == 0 else ",\n") + line)
        if out.tell() >= CHUNK:
            yield _flushed(out)
    out.write("" if ndjson else "\n]\n")
    yield _flushed(out)


def stream(export, fmt):
    """The export as text chunks in format fmt (one of FORMATS), read from the database as they go."""
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":  # the header's names and the rows from one snapshot
            connection.execution_options(isolation_level="REPEATABLE READ")
        if fmt == "csv":
            yield from _csv_lines(connection, export)
        else:
            yield from _json_lines(connection, export, ndjson=fmt == "ndjson")
