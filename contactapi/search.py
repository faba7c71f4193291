"""Search over submissions (emails and submitted text): partial, case-insensitive, ranked; one function, two engines.

SQLite: an FTS5 table with the trigram tokenizer (every term is a substring match; a 1-2 character term,
too short for a trigram, by LIKE on the document lower-cased by Python's lower() as the terms are, with the
function database.py registers), ranked by BM25's term-frequency part (see _term_frequency_score).
PostgreSQL: a tsvector for words (prefix match, ranked by ts_rank) and pg_trgm trigrams on the lower-case text
for fragments such as part of an email address, in two columns of submissions with a GIN index each.
On both, a new submission is indexed after its write, in batches, and before any search (search_index.py).
The search objects are created by migrations 0006, 0011 and 0013 under names starting with search_.

An FTS row shares its submission's rowid, and the join also checks the submission's id: a VACUUM, which may
renumber rowids, can then make matches go missing but never show a wrong one."""
import re
import unicodedata

from sqlalchemy import and_, column, func, literal, literal_column, or_, select, table, text

from .addresses import InvalidEmail, normalise_email
from .database import SEARCH_LOWER
from .extensions import db
from .models import Submission
from .search_index import catch_up

submissions = Submission.__table__
SEARCH_PREFIX = "search_"
MAX_QUERY = 200  # characters
MAX_TERMS = 8
TRIGRAM = 3  # FTS5's trigram tokenizer can only match terms this long or longer
RANKED_WINDOW = 200  # the newest matches ranked together (see matching_submissions)

_fts = table("search_submissions", column("rowid"), column("submission_id"), column("document"))
# PostgreSQL's search columns, unknown to the models (filled by search_index.py).
_search_text = literal_column("submissions.search_text")
_search_vector = literal_column("submissions.search_vector")


def managed_by_models(name, type_, parent_names):
    """Alembic include_name: the search_* objects are made by hand in migrations, not from the models."""
    return not (name or "").startswith(SEARCH_PREFIX)


class InvalidQuery(ValueError):
    """A search that is not run; the message is a sentence for whoever asked."""


def checked_query(raw):
    """A search from a query string (None: none), stripped; InvalidQuery when it is too long for one."""
    query = (raw or "").strip()
    if len(query) > MAX_QUERY:
        raise InvalidQuery(f"Search for at most {MAX_QUERY} characters")
    terms_of(query)
    return query


def terms_of(query):
    """The lower-case words of a query; quotes and operators are plain text here. InvalidQuery past
    MAX_TERMS words: a word dropped without a word would find what it was meant to exclude.
    A query string holding NUL never gets here (nul_text.py)."""
    terms = [_as_stored(term) for term in re.split(r"\s+", query.strip().lower()) if term]
    if len(terms) > MAX_TERMS:
        raise InvalidQuery(f"Search for at most {MAX_TERMS} words")
    return terms


def _as_stored(term):
    """A word as stored text spells it: composed (NFC), and a whole address normalised as every address is
    stored (its domain in Unicode, not xn--), so any spelling of a contact's address finds it."""
    term = unicodedata.normalize("NFC", term)
    if "@" in term:
        try:
            return normalise_email(term)
        except InvalidEmail:
            pass
    return term


def address_matches(column, query):
    """A condition on an address column: it holds every term of query; None when the query has no terms."""
    terms = terms_of(query or "")
    if not terms:
        return None
    return and_(*(column.like(_like(term), escape="\\") for term in terms))


def _like(term):
    """A LIKE pattern matching term anywhere, its own % and _ taken literally."""
    return "%" + re.sub(r"([\\%_])", r"\\\1", term) + "%"


def _windowed(candidates, recency):
    """candidates with their window: 0 for the newest RANKED_WINDOW of them, 1 for the next, and so on."""
    position = func.row_number().over(order_by=[column.desc() for column in recency]) - 1
    return select(*candidates.c, (position // RANKED_WINDOW).label("window")).subquery("windowed")


def _term_frequency_score(document, terms, window):
    """BM25's term-frequency and length part (k1 = 1.2, b = 0.75) for candidates' lower-case documents,
    lengths against their window's mean: the mean of all the candidates would change with how many windows
    a page needs, and a window's order with it, so paging would repeat some matches and skip others.
    bm25() itself first counts every match of each term in the whole index (its IDF), a pass as long as the
    word is frequent: the very cost the candidate windows avoid."""
    length = func.length(document)
    norm = 1.2 * (0.25 + 0.75 * length / func.max(func.avg(length).over(partition_by=window), 1))
    score = literal(0.0)
    for term in terms:
        frequency = (length - func.length(func.replace(document, term, ""))) * 1.0 / len(term)
        score = score + frequency / (frequency + norm)
    return score


def _sqlite_matches(account_id, terms, within, through):
    long_terms = [term for term in terms if len(term) >= TRIGRAM]
    # Lower-cased as the terms are (Python's lower()), not by LIKE, which folds ASCII only.
    lowered = getattr(func, SEARCH_LOWER)(_fts.c.document)
    conditions = [lowered.like(_like(term), escape="\\") for term in terms if len(term) < TRIGRAM]
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
    candidates = matches.add_columns(_fts.c.rowid.label("recency"), lowered.label("document")) \
        .order_by(_fts.c.rowid.desc()).limit(_candidates_for(through)).subquery("candidates")
    windowed = _windowed(candidates, [candidates.c.recency])
    score = _term_frequency_score(windowed.c.document, terms, windowed.c.window)
    return select(windowed.c.submission_id, score.label("score"), windowed.c.window)


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
    windowed = _windowed(candidates, [candidates.c.created_at, candidates.c.submission_id])
    return select(windowed.c.submission_id, windowed.c.score, windowed.c.window)


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
    matches = _postgresql_matches if db.session.get_bind().dialect.name == "postgresql" else _sqlite_matches
    return matches(account_id, terms, tuple(within), through).subquery("matches")
