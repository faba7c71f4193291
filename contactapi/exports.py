"""Exporting an account's contacts as CSV or JSON, safe to open in a spreadsheet."""
import csv
import io
import json

from sqlalchemy import select

from .contacts import NEWEST_FIRST, as_json, contacts
from .extensions import db

FIXED_COLUMNS = ("id", "email", "created_at", "updated_at")
# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def all_contacts(account_id):
    """Every contact of an account as the API shows them, newest first, read in batches."""
    query = select(contacts).where(contacts.c.account_id == account_id).order_by(*NEWEST_FIRST)
    for row in db.session.execute(query.execution_options(yield_per=1000)):
        yield as_json(row._mapping)


def neutralise(cell):
    """Text for one CSV cell: nested values as JSON, formula-like text prefixed with a quote."""
    if cell is None:
        return ""
    if not isinstance(cell, str):
        cell = json.dumps(cell, ensure_ascii=False)
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def to_csv(items):
    items = list(items)
    extra = sorted({name for item in items for name in item} - set(FIXED_COLUMNS))
    columns = list(FIXED_COLUMNS) + extra
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([neutralise(name) for name in columns])
    for item in items:
        writer.writerow([neutralise(item.get(name)) for name in columns])
    return out.getvalue()


def to_json(items):
    return json.dumps(list(items), ensure_ascii=False, indent=2)


FORMATS = {"csv": to_csv, "json": to_json}


def export(account_id, fmt):
    return FORMATS[fmt](all_contacts(account_id))
