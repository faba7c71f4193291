"""inbox: where a submission came from, read/unread, and full-text search over submissions

Revision ID: 0006
Revises: 0001
Create Date: 2026-11-21 22:40:00

Search objects are named search_* and live outside the models (see contactapi/search.py):
SQLite gets an FTS5 table (trigram tokenizer) kept in step by triggers; PostgreSQL gets two generated
columns (a tsvector, and lower-case text for pg_trgm) computed from the fields by an immutable
search_document(json) function, each with a GIN index: the database keeps them in step by itself.
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

# Every value of a submission's fields (the email included), joined by spaces.
SQLITE_DOCUMENT = "(SELECT group_concat(value, ' ') FROM json_each({row}.fields))"
SQLITE_UP = [
    "CREATE VIRTUAL TABLE search_submissions USING fts5(submission_id UNINDEXED, document, tokenize='trigram')",
    "INSERT INTO search_submissions (rowid, submission_id, document) "
    f"SELECT rowid, id, {SQLITE_DOCUMENT.format(row='submissions')} FROM submissions",
    "CREATE TRIGGER search_submissions_insert AFTER INSERT ON submissions BEGIN "
    "INSERT INTO search_submissions (rowid, submission_id, document) "
    f"VALUES (new.rowid, new.id, {SQLITE_DOCUMENT.format(row='new')}); END",
    "CREATE TRIGGER search_submissions_delete AFTER DELETE ON submissions BEGIN "
    "DELETE FROM search_submissions WHERE rowid = old.rowid; END",
    "CREATE TRIGGER search_submissions_update AFTER UPDATE OF fields ON submissions BEGIN "
    f"UPDATE search_submissions SET document = {SQLITE_DOCUMENT.format(row='new')} WHERE rowid = old.rowid; END",
]
SQLITE_DOWN = [
    "DROP TRIGGER search_submissions_update",
    "DROP TRIGGER search_submissions_delete",
    "DROP TRIGGER search_submissions_insert",
    "DROP TABLE search_submissions",
]
POSTGRESQL_DOWN = [
    "DROP INDEX search_submissions_trigrams",
    "DROP INDEX search_submissions_words",
    "ALTER TABLE submissions DROP COLUMN search_text, DROP COLUMN search_vector",
    "DROP FUNCTION search_document(json)",
]


def _postgresql_up():
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    # The operator class lives in the extension's schema, which need not be on the search path.
    schema = op.get_bind().execute(sa.text(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'"
    )).scalar()
    op.execute(
        "CREATE FUNCTION search_document(fields json) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE "
        "AS $$ SELECT string_agg(value, ' ') FROM json_each_text(fields) $$"
    )
    # Stored, so ranking and re-checking a match read a column instead of parsing JSON again.
    op.execute(
        "ALTER TABLE submissions "
        "ADD COLUMN search_text text GENERATED ALWAYS AS (lower(search_document(fields))) STORED, "
        "ADD COLUMN search_vector tsvector "
        "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, search_document(fields))) STORED"
    )
    op.execute("CREATE INDEX search_submissions_words ON submissions USING gin (search_vector)")
    op.execute(f'CREATE INDEX search_submissions_trigrams ON submissions USING gin (search_text "{schema}".gin_trgm_ops)')


def upgrade():
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('page', sa.String(length=2048), nullable=True))
        batch_op.add_column(sa.Column('user_agent', sa.String(length=512), nullable=True))
        batch_op.add_column(sa.Column('read_at', sa.DateTime(), nullable=True))
        batch_op.create_index('ix_submissions_account_newest', ['account_id', sa.literal_column('created_at DESC'), sa.literal_column('id DESC')], unique=False)
    if op.get_bind().dialect.name == 'sqlite':
        for statement in SQLITE_UP:
            op.execute(statement)
    else:
        _postgresql_up()


def downgrade():
    for statement in SQLITE_DOWN if op.get_bind().dialect.name == 'sqlite' else POSTGRESQL_DOWN:
        op.execute(statement)
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_index('ix_submissions_account_newest')
        batch_op.drop_column('read_at')
        batch_op.drop_column('user_agent')
        batch_op.drop_column('page')
