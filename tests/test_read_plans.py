"""The API's list statements walk an index in their newest-first order, as each database plans them (run the
suite on SQLite and with TEST_DATABASE_URL on PostgreSQL): a cursor page starts its index range at the cursor
row's created_at, or its number for a contact's submissions (an index condition, not a filter), and nothing
is sorted, so a page costs the same at any depth.

On PostgreSQL the statement is checked as psycopg may run it once it has prepared it: the generic plan,
made without the parameters' values (PostgreSQL keeps planning with the values when it estimates that
cheaper, as it does for these LIMITs: the generic plan is the one to check). The test tables are tiny, and
once analyzed, reading one whole and sorting it is rightly the cheaper plan; so those plans are made
costly (enable_seqscan and the like off), which leaves the question asked: can the statement walk the
index in its order from the cursor? (A sort still shows when it cannot: off only makes it costly.)"""
import re

import pytest
from psycopg import sql

from contactapi import contacts
from contactapi.extensions import db

ACCOUNT = {"scope_account_id": 1, "p_limit": 21, "p_cursor": "con_x", "p_account": 1, "p_offset": 0}
CONTACT = {"scope_contact_id": "con_x", "scope_account_id": 1, "p_limit": 21, "p_cursor": "sub_x"}
NEWEST, BY_NUMBER = "ix_contacts_account_newest", "ix_submissions_contact_seq"
CURSOR_PAGES = [
    ("contacts, starting_after", contacts._ACCOUNT_KEYSET.older, ACCOUNT, NEWEST, "created_at<"),
    ("contacts, ending_before", contacts._ACCOUNT_KEYSET.newer, ACCOUNT, NEWEST, "created_at>"),
    ("submissions, starting_after", contacts._CONTACT_KEYSET.older, CONTACT, BY_NUMBER, "seq<"),
    ("submissions, ending_before", contacts._CONTACT_KEYSET.newer, CONTACT, BY_NUMBER, "seq>"),
]
FIRST_PAGES = [
    ("contacts, first cursor page", contacts._ACCOUNT_KEYSET.first, ACCOUNT, NEWEST),
    ("contacts, page 1", contacts._FIRST_PAGE, ACCOUNT, NEWEST),
    ("submissions, first cursor page", contacts._CONTACT_KEYSET.first, CONTACT, BY_NUMBER),
]


def plan(app, statement, params):
    """The plan's lines: EXPLAIN QUERY PLAN on SQLite; on PostgreSQL the generic plan of the prepared statement."""
    with app.app_context(), db.engine.connect() as connection:
        compiled = statement.compiled(connection.dialect)
        params = {name: params.get(name, default) for name, default, _convert in compiled.binds}
        cursor = connection.connection.cursor()
        try:
            if connection.dialect.name == "sqlite":
                cursor.execute("EXPLAIN QUERY PLAN " + compiled.sql, params)
                return [row[3] for row in cursor.fetchall()]
            names = list(dict.fromkeys(re.findall(r"%\((\w+)\)s", compiled.sql)))
            numbered = re.sub(r"%\((\w+)\)s", lambda match: f"${names.index(match.group(1)) + 1}", compiled.sql)
            for setting in ("plan_cache_mode = force_generic_plan", "enable_seqscan = off", "enable_bitmapscan = off",
                            "enable_sort = off", "enable_incremental_sort = off"):
                cursor.execute(f"SET {setting}")
            cursor.execute(f"PREPARE read_plan AS {numbered}")
            values = sql.SQL(", ").join(sql.Literal(params[name]) for name in names)
            cursor.execute(sql.SQL("EXPLAIN EXECUTE read_plan({})").format(values))
            return [row[0] for row in cursor.fetchall()]
        finally:
            cursor.close()
            connection.invalidate()  # the session settings and the prepared statement go with it


def index_walk(lines, index):
    """The index condition of the page's own walk (not of the cursor row's lookup), asserting it walks index
    and nothing is sorted."""
    assert not any("TEMP B-TREE" in line or re.match(r"\s*(->\s*)?(Incremental )?Sort\b", line) for line in lines), lines
    if any(line.startswith(("SEARCH", "SCAN")) for line in lines):  # SQLite: the subqueries are listed apart
        [walk] = [line for line in lines if line.startswith(("SEARCH", "SCAN")) and index in line]
        assert re.match(rf"SEARCH \w+ USING (COVERING )?INDEX {index}", walk), lines
        return walk.split("(", 1)[1].replace(" ", "")
    # PostgreSQL: the scans of the cursor row's lookup (InitPlans) are nested deeper than the page's own.
    scans = [(len(line) - len(line.lstrip(" ->")), i) for i, line in enumerate(lines) if " Scan" in line]
    _depth, walk = min(scans)
    assert re.search(rf"Index Scan( Backward)? using {index}", lines[walk]), lines
    condition = lines[walk + 1]
    assert "Index Cond:" in condition, lines
    return re.sub(r"[()\s]|::\w+", "", condition.split("Index Cond:", 1)[1])


@pytest.mark.parametrize("name, statement, params, index, bound", CURSOR_PAGES, ids=[p[0] for p in CURSOR_PAGES])
def test_a_cursor_page_walks_the_index_from_the_cursor_row(app, name, statement, params, index, bound):
    condition = index_walk(plan(app, statement, params), index)
    assert bound in condition, condition  # SQLite shows <= as <; PostgreSQL shows <= $n
    assert "account_id" in condition or "contact_id" in condition, condition


@pytest.mark.parametrize("name, statement, params, index", FIRST_PAGES, ids=[p[0] for p in FIRST_PAGES])
def test_a_first_page_walks_the_index_from_the_newest(app, name, statement, params, index):
    condition = index_walk(plan(app, statement, params), index)
    assert "account_id" in condition or "contact_id" in condition, condition


def test_the_prune_deletes_one_range_of_the_contacts_numbered_submissions(app):
    """A post to a contact at its cap deletes its oldest submission by its number: an index range on
    (contact_id, seq), not a walk past its newest SUBMISSIONS_PER_CONTACT."""
    from contactapi import storage

    lines = plan(app, storage._PRUNE_ALONE, {"p_contact": "con_x", "p_upto": 5})
    assert not any("OFFSET" in line.upper() or "Limit" in line for line in lines), lines
    assert any(re.search(r"USING (COVERING )?INDEX ix_submissions_contact_seq \(contact_id=\? AND seq<\?\)", line)
               or "Index Scan using ix_submissions_contact_seq" in line for line in lines), lines
