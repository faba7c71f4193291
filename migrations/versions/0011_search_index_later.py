"""search: SQLite indexes a new submission's text later, in batches (search_pending); the redundant
ix_submissions_account_id goes (ix_submissions_account_newest starts with the same column)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-22 08:00:00

Until now each new submission went into the FTS5 trigram index in its own transaction, the most costly part
of a submission's write on SQLite. Now the insert trigger only notes the submission's rowid in
search_pending; contactapi/search.py moves what is noted into the index in batches (a background worker in
a pause of the requests) and before any search, so a search still finds every submission. Submissions
already indexed stay so; nothing is pending after the upgrade. PostgreSQL's search columns are unchanged.
"""
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

# The frozen copy of the document of 0006 (contactapi/search.py has the live one).
SQLITE_DOCUMENT = "(SELECT group_concat(value, ' ') FROM json_each({row}.fields))"
SQLITE_UP = [
    "DROP TRIGGER search_submissions_insert",
    "DROP TRIGGER search_submissions_delete",
    "CREATE TABLE search_pending (submission_rowid INTEGER NOT NULL PRIMARY KEY)",
    "CREATE TRIGGER search_submissions_insert AFTER INSERT ON submissions BEGIN "
    "INSERT OR IGNORE INTO search_pending (submission_rowid) VALUES (new.rowid); END",
    "CREATE TRIGGER search_submissions_delete AFTER DELETE ON submissions BEGIN "
    "DELETE FROM search_submissions WHERE rowid = old.rowid; "
    "DELETE FROM search_pending WHERE submission_rowid = old.rowid; END",
]
SQLITE_DOWN = [
    # What is still pending goes into the index first: 0010's index holds every submission.
    "INSERT INTO search_submissions (rowid, submission_id, document) "
    f"SELECT s.rowid, s.id, {SQLITE_DOCUMENT.format(row='s')} "
    "FROM search_pending p JOIN submissions s ON s.rowid = p.submission_rowid",
    "DROP TRIGGER search_submissions_insert",
    "DROP TRIGGER search_submissions_delete",
    "DROP TABLE search_pending",
    "CREATE TRIGGER search_submissions_insert AFTER INSERT ON submissions BEGIN "
    "INSERT INTO search_submissions (rowid, submission_id, document) "
    f"VALUES (new.rowid, new.id, {SQLITE_DOCUMENT.format(row='new')}); END",
    "CREATE TRIGGER search_submissions_delete AFTER DELETE ON submissions BEGIN "
    "DELETE FROM search_submissions WHERE rowid = old.rowid; END",
]


def upgrade():
    # Plain DDL, not a batch: a batch may rebuild the table on SQLite, and the search triggers with it.
    op.drop_index('ix_submissions_account_id', table_name='submissions')
    if op.get_bind().dialect.name == 'sqlite':
        for statement in SQLITE_UP:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        for statement in SQLITE_DOWN:
            op.execute(statement)
    op.create_index('ix_submissions_account_id', 'submissions', ['account_id'], unique=False)
