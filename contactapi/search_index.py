"""Keeping the search index (search.py) up to date: a new submission is not indexed in its own write, which was
the most costly part of that write on both databases; it is noted as pending and indexed later, in batches,
by the delivery workers when the requests pause or every few seconds under load (index_pending), and before
any search (catch_up), so every search still sees every submission. PostgreSQL's GIN pending list, by hand.

- SQLite (migration 0011): a trigger notes the new submission's rowid in search_pending; indexing moves what is
  noted into the FTS5 table. An FTS row shares its submission's rowid.
- PostgreSQL (migration 0013): search_text and search_vector are plain columns, NULL while the submission is
  pending (a partial index finds those rows; a trigger makes an edited submission pending again); indexing
  fills them, and their GIN indexes with them. Indexers lock the rows they fill with SKIP LOCKED, so one
  never waits on another writer's rows and no deadlock can involve it; they take turns on an advisory lock,
  so a search's catch_up waits for a background batch to commit instead of skipping its rows. (A row that
  another writer holds at that moment, marking it read say, is skipped: that one search may miss it.)"""
from .database import read_connection, take_turn, write_connection, write_transaction
from .extensions import db

INDEX_BATCH = 1000  # submissions a background pass indexes in one write transaction

# What the FTS table holds for a submission: every value of its fields, joined by spaces. Migration 0006 has
# its own frozen copy (the triggers that keep the table in step); the two must say the same.
_SQLITE_DOCUMENT = "(SELECT group_concat(value, ' ') FROM json_each(submissions.fields))"
_SQLITE_REBUILD = [
    "DELETE FROM search_submissions",
    "DELETE FROM search_pending",
    f"INSERT INTO search_submissions (rowid, submission_id, document) SELECT rowid, id, {_SQLITE_DOCUMENT} FROM submissions",
    "INSERT INTO search_submissions (search_submissions) VALUES ('optimize')",
]
# The pending submissions (the oldest first, at most :limit of them) put into the index, then no longer pending.
_SQLITE_PENDING_UP_TO = "SELECT max(submission_rowid) FROM (SELECT submission_rowid FROM search_pending " \
    "ORDER BY submission_rowid LIMIT :limit)"
_SQLITE_INDEX_PENDING = [  # OR REPLACE: a stale entry left at that rowid (a VACUUM renumbered it) gives way
    "INSERT OR REPLACE INTO search_submissions (rowid, submission_id, document) "
    f"SELECT submissions.rowid, submissions.id, {_SQLITE_DOCUMENT} FROM search_pending "
    "JOIN submissions ON submissions.rowid = search_pending.submission_rowid "
    "WHERE search_pending.submission_rowid <= :last",
    "DELETE FROM search_pending WHERE submission_rowid <= :last",
]
_SQLITE_ANY_PENDING = "SELECT 1 FROM search_pending LIMIT 1"

# The same document on PostgreSQL, never NULL (a NULL search_vector means pending: fields with no value at all
# would stay pending for ever). search_document() is migration 0006's.
_POSTGRESQL_DOCUMENT = "coalesce(search_document(fields), '')"
_POSTGRESQL_INDEX_PENDING = (  # at most %(limit)s pending submissions (NULL: all), those no one else holds
    f"UPDATE submissions SET search_text = lower({_POSTGRESQL_DOCUMENT}), "
    f"search_vector = to_tsvector('simple'::regconfig, {_POSTGRESQL_DOCUMENT}) "
    "WHERE id IN (SELECT id FROM submissions WHERE search_vector IS NULL "
    "ORDER BY id LIMIT %(limit)s FOR UPDATE SKIP LOCKED)"
)
_POSTGRESQL_ANY_PENDING = "SELECT 1 FROM submissions WHERE search_vector IS NULL LIMIT 1"
_INDEXERS_TURN = 0x5EA2C4  # the turn indexers take (database.take_turn)
_POSTGRESQL_REBUILD = [
    "REINDEX INDEX CONCURRENTLY search_submissions_words",
    "REINDEX INDEX CONCURRENTLY search_submissions_trigrams",
]


def _sqlite():
    return db.session.get_bind().dialect.name == "sqlite"


def _any_pending():
    """Whether submissions wait to be indexed (one read of a small index)."""
    with read_connection() as connection:
        statement = _SQLITE_ANY_PENDING if connection.dialect.name == "sqlite" else _POSTGRESQL_ANY_PENDING
        return connection.exec_driver_sql(statement).first() is not None


def _index_pending_on(connection, limit):
    """On connection, in its write transaction: index up to limit pending submissions (None: all); how many
    were pending and are no longer."""
    if connection.dialect.name == "postgresql":
        return connection.exec_driver_sql(_POSTGRESQL_INDEX_PENDING, {"limit": limit}).rowcount
    last = connection.exec_driver_sql(_SQLITE_PENDING_UP_TO, {"limit": -1 if limit is None else limit}).scalar()
    if last is None:
        return 0
    for statement in _SQLITE_INDEX_PENDING:
        connection.exec_driver_sql(statement, {"last": last})
    return connection.exec_driver_sql("SELECT changes()").scalar()


def index_pending(limit=INDEX_BATCH):
    """Index up to limit pending submissions (None: all; on SQLite the oldest first) in one write transaction;
    returns how many were pending and are now indexed (or deleted meanwhile). 0, with no write begun, when
    none is pending, or on PostgreSQL when another indexer has the turn (it is doing this work)."""
    if not _any_pending():
        return 0
    with write_connection() as connection:
        if not take_turn(connection, _INDEXERS_TURN, wait=False):
            return 0
        return _index_pending_on(connection, limit)


def catch_up():
    """Before a search: index every pending submission, so the search that follows sees every submission.

    SQLite: in the request session's own write transaction (the search's snapshot is taken after it).
    PostgreSQL: in a transaction of its own, committed before the search's statement (which, at READ
    COMMITTED, takes its own snapshot); it first waits for the turn of any indexer at work."""
    if not _any_pending():
        return
    if _sqlite():
        with write_transaction() as session:
            _index_pending_on(session.connection(), None)
        return
    with write_connection() as connection:
        take_turn(connection, _INDEXERS_TURN)
        _index_pending_on(connection, None)


def rebuild():
    """Make the search index again from the submissions; returns how many submissions it holds.

    SQLite: the FTS table is refilled in one write transaction, with every submission's current rowid (a
    VACUUM, VACUUM INTO or a restored copy may have renumbered them, and matches then go missing).
    PostgreSQL: its two GIN indexes are rebuilt without blocking writes (REINDEX CONCURRENTLY, only ever
    needed after an index corruption or an upgrade of pg_trgm or of the collation), then whatever is
    pending is indexed."""
    if _sqlite():
        with write_connection() as connection:
            for statement in _SQLITE_REBUILD:
                connection.exec_driver_sql(statement)
            return connection.exec_driver_sql("SELECT count(*) FROM search_submissions").scalar()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for statement in _POSTGRESQL_REBUILD:
            connection.exec_driver_sql(statement)
    catch_up()
    with read_connection() as connection:
        return connection.exec_driver_sql("SELECT count(*) FROM submissions").scalar()
