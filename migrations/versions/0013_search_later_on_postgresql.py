"""search: PostgreSQL, too, fills a new submission's search columns later, in batches; they are plain columns
now, no longer generated

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 18:40:00

Computing the two generated columns (search_text, search_vector) was most of the PostgreSQL side of a
submission's insert (about 120 of 140 µs). Now a new submission is written with both NULL, which marks it
pending (the partial index search_submissions_pending finds such rows), and contactapi/search.py fills them
in batches (a background worker in a pause of the requests) and before any search, as SQLite does since
0011. A trigger marks a submission pending again when its fields change. Existing rows keep their values:
DROP EXPRESSION turns the generated columns into plain ones without rewriting the table or its GIN indexes.
SQLite is unchanged.
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

POSTGRESQL_UP = [
    "ALTER TABLE submissions ALTER COLUMN search_text DROP EXPRESSION, "
    "ALTER COLUMN search_vector DROP EXPRESSION",
    "CREATE INDEX search_submissions_pending ON submissions (id) WHERE search_vector IS NULL",
    "CREATE FUNCTION search_pend() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "NEW.search_text := NULL; NEW.search_vector := NULL; RETURN NEW; END $$",
    "CREATE TRIGGER search_submissions_update BEFORE UPDATE OF fields ON submissions "
    "FOR EACH ROW EXECUTE FUNCTION search_pend()",
]
# 0006's generated columns and indexes again (its frozen copy; the columns' values are computed anew).
POSTGRESQL_DOWN = [
    "DROP TRIGGER search_submissions_update ON submissions",
    "DROP FUNCTION search_pend()",
    "DROP INDEX search_submissions_pending",
    "ALTER TABLE submissions DROP COLUMN search_text, DROP COLUMN search_vector",  # their GIN indexes with them
    "ALTER TABLE submissions "
    "ADD COLUMN search_text text GENERATED ALWAYS AS (lower(search_document(fields))) STORED, "
    "ADD COLUMN search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, search_document(fields))) STORED",
    "CREATE INDEX search_submissions_words ON submissions USING gin (search_vector)",
    'CREATE INDEX search_submissions_trigrams ON submissions USING gin (search_text "{schema}".gin_trgm_ops)',
]


def _pg_trgm_schema():
    """The schema of pg_trgm's operator class, which need not be on the search path."""
    return op.get_bind().execute(sa.text(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'"
    )).scalar()


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for statement in POSTGRESQL_UP:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        schema = _pg_trgm_schema()
        for statement in POSTGRESQL_DOWN:
            op.execute(statement.replace("{schema}", schema))
