"""Search over submissions (emails and submitted text): partial, case-insensitive, ranked; one function, two engines.

SQLite: an FTS5 table with the trigram tokenizer (every term is a substring match), ranked by BM25's
term-frequency part (see _term_frequency_score). A new submission is not indexed in its own transaction (that
was the most costly part of its write): a trigger notes its rowid in search_pending, and index_pending moves
what is noted into the FTS table in batches, from a background worker when the requests pause and before any
search (catch_up), so every search still sees every submission. This is PostgreSQL's GIN pending list, by hand.
PostgreSQL: a tsvector for words (prefix match, ranked by ts_rank) and pg_trgm trigrams on the lower-case text
for fragments such as part of an email address, kept in step with every write by the database (generated
columns). The search objects are created by migrations 0006 and 0011 under names starting with search_.

An FTS row shares its submission's rowid, and the join also checks the submission's id: a VACUUM, which may
renumber rowids, can then make matches go missing but never show a wrong one."""
import re

from sqlalchemy import and_, column, func, literal, literal_column, or_, select, table, text

from .database import read_connection, write_connection, write_transaction
from .extensions import db
from .models import Submission

submissions = Submission.__table__
SEARCH_PREFIX = "search_"
MAX_TERMS = 8
TRIGRAM = 3  # FTS5's trigram tokenizer can only match terms this long or longer
RANKED_WINDOW = 200  # the newest matches ranked together (see matching_submissions)

_fts = table("search_submissions", column("rowid"), column("submission_id"), column("document"))
# PostgreSQL's generated columns, unknown to the models.
_search_text = literal_column("submissions.search_text")
_search_vector = literal_column("submissions.search_vector")


# What the FTS table holds for a submission: every value of its fields, joined by spaces. Migration 0006 has
# its own frozen copy (the triggers that keep the table in step); the two must say the same.
_SQLITE_DOCUMENT = "(SELECT group_concat(value, ' ') FROM json_each(submissions.fields))"
_SQLITE_REBUILD = [
    "DELETE FROM search_submissions",
    "DELETE FROM search_pending",
    f"INSERT INTO search_submissions (rowid, submission_id, document) SELECT rowid, id, {_SQLITE_DOCUMENT} FROM submissions",
    "INSERT INTO search_submissions (search_submissions) VALUES ('optimize')",
]
_POSTGRESQL_REBUILD = [
    "REINDEX INDEX CONCURRENTLY search_submissions_words",
    "REINDEX INDEX CONCURRENTLY search_submissions_trigrams",
]


def rebuild():
    """Make the search index again from the submissions; returns how many submissions it holds.

    SQLite: the FTS table is refilled in one write transaction, with every submission's current rowid (a
    VACUUM, VACUUM INTO or a restored copy may have renumbered them, and matches then go missing).
    PostgreSQL keeps its search columns in step by itself (generated columns); its two GIN indexes are
    rebuilt without blocking writes (REINDEX CONCURRENTLY), which is only ever needed after an index
    corruption or an upgrade of pg_trgm or of the collation."""
    if _sqlite():
        with write_connection() as connection:
            for statement in _SQLITE_REBUILD:
                connection.exec_driver_sql(statement)
            return connection.exec_driver_sql("SELECT count(*) FROM search_submissions").scalar()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for statement in _POSTGRESQL_REBUILD:
            connection.exec_driver_sql(statement)
        return connection.exec_driver_sql("SELECT count(*) FROM submissions").scalar()


# The pending submissions (the oldest first, at most :limit of them) put into the index, then no longer pending.
_PENDING_UP_TO = "SELECT max(submission_rowid) FROM (SELECT submission_rowid FROM search_pending " \
    "ORDER BY submission_rowid LIMIT :limit)"
_INDEX_PENDING = [  # OR REPLACE: a stale entry left at that rowid (a VACUUM renumbered it) gives way
    "INSERT OR REPLACE INTO search_submissions (rowid, submission_id, document) "
    f"SELECT submissions.rowid, submissions.id, {_SQLITE_DOCUMENT} FROM search_pending "
    "JOIN submissions ON submissions.rowid = search_pending.submission_rowid "
    "WHERE search_pending.submission_rowid <= :last",
    "DELETE FROM search_pending WHERE submission_rowid <= :last",
]
_ANY_PENDING = "SELECT 1 FROM search_pending LIMIT 1"
INDEX_BATCH = 1000  # submissions a background pass indexes in one write transaction


def _index_pending_on(connection, limit):
    """On connection, in its write transaction: index_pending's work; how many were pending."""
    last = connection.exec_driver_sql(_PENDING_UP_TO, {"limit": limit}).scalar()
    if last is None:
        return 0
    for statement in _INDEX_PENDING:
        connection.exec_driver_sql(statement, {"last": last})
    return connection.exec_driver_sql("SELECT changes()").scalar()


def _sqlite():
    return db.session.get_bind().dialect.name == "sqlite"


def _any_pending():
    """Whether submissions wait to be indexed: one read on SQLite; False at once on PostgreSQL, which never
    has any."""
    if not _sqlite():
        return False
    with read_connection() as connection:
        return connection.exec_driver_sql(_ANY_PENDING).first() is not None


def index_pending(limit=INDEX_BATCH):
    """SQLite: index up to limit pending submissions (the oldest first) in one write transaction; returns
    how many were pending and are now indexed (or deleted meanwhile). 0, with no write lock taken, when none
    is pending (always on PostgreSQL)."""
    if not _any_pending():
        return 0
    with write_connection() as connection:
        return _index_pending_on(connection, limit)


def catch_up():
    """Before a search on SQLite: index every pending submission, in the request session's own write
    transaction, so the search that follows (in a snapshot taken after it) sees every submission."""
    if _any_pending():
        with write_transaction() as session:
            _index_pending_on(session.connection(), -1)  # LIMIT -1: no limit


def managed_by_models(name, type_, parent_names):
    """Alembic include_name: the search_* objects are made by hand in migrations, not from the models."""
    return not (name or "").startswith(SEARCH_PREFIX)


def terms_of(query):
    """The lower-case words of a query (at most MAX_TERMS); quotes and operators are plain text here."""
    return [term for term in re.split(r"\s+", query.strip().lower()) if term][:MAX_TERMS]


def _like(term):
    """A LIKE pattern matching term anywhere, its own % and _ taken literally."""
    return "%" + re.sub(r"([\\%_])", r"\\\1", term) + "%"


def _windows(candidates, recency, score):
    """(submission_id, score, window) of candidates, window 0 for the newest RANKED_WINDOW of them, 1 for the next."""
    position = func.row_number().over(order_by=[column.desc() for column in recency]) - 1
    return select(candidates.c.submission_id, score.label("score"), (position // RANKED_WINDOW).label("window"))


def _term_frequency_score(document, terms):
    """BM25's term-frequency and length part (k1 = 1.2, b = 0.75) for candidates' lower-case documents,
    lengths against the candidates' mean. bm25() itself first counts every match of each term in the whole
    index (its IDF), a pass as long as the word is frequent: the very cost the candidate windows avoid."""
    length = func.length(document)
    norm = 1.2 * (0.25 + 0.75 * length / func.max(func.avg(length).over(), 1))
    score = literal(0.0)
    for term in terms:
        frequency = (length - func.length(func.replace(document, term, ""))) * 1.0 / len(term)
        score = score + frequency / (frequency + norm)
    return score


def _sqlite_matches(account_id, terms, within, through):
    long_terms = [term for term in terms if len(term) >= TRIGRAM]
    conditions = [_fts.c.document.like(_like(term), escape="\\") for term in terms if len(term) < TRIGRAM]
    if long_terms:
        phrase = " AND ".join('"' + term.replace('"', '""') + '"' for term in long_terms)
        conditions.append(text("search_submissions MATCH :search_phrase").bindparams(search_phrase=phrase))
    matches = (
        select(submissions.c.id.label("submission_id"))
        .select_from(_fts.join(submissions, and_(
            submissions.c.id == _fts.c.submission_id, text("submissions.rowid = search_submissions.rowid"))))
        .where(submissions.c.account_id == account_id, *conditions, *within)
    )
    if through is None:
        return matches.add_columns(literal(0.0).label("score"), literal(0).label("window"))
    # The FTS index yields matches newest first (rowid order), so only the candidates are joined and scored.
    candidates = matches.add_columns(_fts.c.rowid.label("recency"), func.lower(_fts.c.document).label("document")) \
        .order_by(_fts.c.rowid.desc()).limit(_candidates_for(through)).subquery("candidates")
    return _windows(candidates, [candidates.c.recency], _term_frequency_score(candidates.c.document, terms))


def _postgresql_matches(account_id, terms, within, through):
    fragments = and_(*(_search_text.like(_like(term), escape="\\") for term in terms))
    if all(re.fullmatch(r"\w+", term) for term in terms):  # words: the tsvector finds them by prefix, ranked
        query = func.to_tsquery(literal_column("'simple'::regconfig"), " & ".join(f"{term}:*" for term in terms))
        matched = or_(_search_vector.op("@@")(query), fragments)
        score = func.ts_rank(_search_vector, query)
    else:
        matched, score = fragments, literal(0.0)
    where = (submissions.c.account_id == account_id, matched, *within)
    if through is None:
        return select(submissions.c.id.label("submission_id"), literal(0.0).label("score"),
                      literal(0).label("window")).where(*where)
    # Rank only the newest candidates: ts_rank reads each one's tsvector, the costly part of a frequent word.
    candidates = (
        select(submissions.c.id.label("submission_id"), submissions.c.created_at, score.label("score"))
        .where(*where).order_by(submissions.c.created_at.desc(), submissions.c.id.desc())
        .limit(_candidates_for(through)).subquery("candidates")
    )
    return _windows(candidates, [candidates.c.created_at, candidates.c.submission_id], candidates.c.score)


def _candidates_for(through):
    """How many of the newest matches rank the first `through` results: whole windows, enough to cover them."""
    return RANKED_WINDOW * max(1, -(-through // RANKED_WINDOW))


def matching_submissions(account_id, query, within=(), through=None):
    """A subquery of (submission_id, score, window) for the account's submissions that match every term of
    query (and the conditions `within`, on submissions); None when the query has no terms.

    Best first is: window ascending, then score descending (higher is a better match). Without `through`
    every match is there, all in window 0 with score 0 (for filtering: exports, contacts). With `through` (the number of
    results the caller's page needs, from the first), only the newest matches that cover them are there:
    window 0 holds the newest RANKED_WINDOW matches, window 1 the next, and so on; ranking within a window
    keeps a frequent word's first page as fast as a rare one's, and every match still has its place."""
    terms = terms_of(query or "")
    if not terms:
        return None
    catch_up()
    matches = _sqlite_matches if _sqlite() else _postgresql_matches
    return matches(account_id, terms, tuple(within), through).subquery("matches")
