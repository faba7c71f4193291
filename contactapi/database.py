"""How the app talks to its database: SQLite tuning, atomic writes, and connections for hot reads."""
import fcntl
import importlib
import os
import threading
from contextlib import contextmanager, nullcontext

from flask import current_app
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from . import checkpoints
from .extensions import db

_IMMEDIATE = "contactapi_immediate"
_TURNS = "contactapi.writer_turns"  # app.extensions key of the app's _WriterTurns (SQLite files only)
_WRITERS = "contactapi.writer_connections"  # app.extensions keys of the app's _KeptConnections for writes
_READERS = "contactapi.reader_connections"  # and for statement_reads


class _WriterTurns:
    """Writers to one SQLite file, in every worker process, queue on a kernel file lock before BEGIN IMMEDIATE.

    SQLite's busy timeout polls a held write lock with sleeps of 1, 2, 5, 10, … ms, so under concurrent
    writes the sleeps, not the writes, set the pace (and the tail latency). A writer blocked in flock()
    is woken the moment the previous one lets go. The busy timeout still covers any other writer."""

    def __init__(self, database_path):
        self.path = database_path + "-writers.lock"
        self.thread_lock = threading.Lock()  # flock() does not exclude threads sharing one open file
        self.local = threading.local()
        self.pid, self.file = None, None

    def _lock_file(self):
        if self.pid != os.getpid():  # a forked worker must not share its parent's open file (and lock)
            try:
                self.file = open(self.path, "ab")
            except OSError as error:  # where the database file cannot be either: said as SQLite would say it
                raise OperationalError(None, None, error) from None
            self.pid = os.getpid()
        return self.file

    @contextmanager
    def turn(self):
        if getattr(self.local, "holding", False):  # already this thread's turn
            yield
            return
        with self.thread_lock:
            lock_file = self._lock_file()
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            self.local.holding = True
            try:
                yield
            finally:
                self.local.holding = False
                fcntl.flock(lock_file, fcntl.LOCK_UN)


def _writer_turn():
    """The calling writer's turn at the database (nothing to wait for on PostgreSQL or in-memory SQLite)."""
    turns = current_app.extensions.get(_TURNS)
    return turns.turn() if turns else nullcontext()


SEARCH_LOWER = "search_lower"


def _lower(text):
    return text.lower() if isinstance(text, str) else text


def configure_engine(app, engine, busy_timeout):
    """On SQLite: WAL, a busy timeout, foreign keys, and BEGIN IMMEDIATE for write transactions."""
    if engine.dialect.name != "sqlite":
        return
    if engine.url.database not in (None, "", ":memory:"):
        turns = app.extensions[_TURNS] = _WriterTurns(os.path.abspath(engine.url.database))
        checkpoints.register(app, engine, os.path.abspath(engine.url.database), turns.turn)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not the driver, decide when a transaction begins (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA wal_autocheckpoint={checkpoints.SAFETY_NET_PAGES}")  # see checkpoints.py
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cursor.close()
        # SQLite's lower() and LIKE fold ASCII only; search.py folds documents with this, as Python folds the
        # terms, for 1-2 character terms (too short for FTS5's trigrams, which fold Unicode). Searches only.
        dbapi_connection.create_function(SEARCH_LOWER, 1, _lower, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # A writer takes the lock up front, so it queues behind others (busy timeout) instead of
        # failing when it would upgrade a read lock that another writer has since outdated.
        immediate = connection.get_execution_options().get(_IMMEDIATE)
        # Straight to the driver: this runs for every transaction, and SQLAlchemy's statement
        # machinery would cost more than the BEGIN itself.
        connection.connection.driver_connection.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")


class _KeptConnections:
    """Each thread's own pooled connection for one use (writes, or reads on the driver), kept from one
    transaction or read to the next, with that use's execution options set once.

    Taking a connection from the pool and giving it back, with the events and the execution options each
    new Connection sets up, cost more than the BEGIN and COMMIT they wrap (about 60 µs a write, measured in
    bench/RESULTS.md). Between uses the kept connection is idle: it holds no transaction, no lock and no
    snapshot, on either database. A forked process starts its own; one that the database dropped reconnects
    on its next use (SQLAlchemy revalidates an invalidated Connection)."""

    def __init__(self, engine, options):
        self.engine, self.options, self.local = engine, options, threading.local()

    @contextmanager
    def connection(self):
        kept = getattr(self.local, "connection", None)
        if kept is None or kept.closed or self.local.pid != os.getpid():
            kept = self.local.connection = self.engine.connect().execution_options(**self.options)
            self.local.pid = os.getpid()
        if kept.in_transaction():  # a writer inside another (PostgreSQL): a pooled connection of its own
            with self.engine.connect() as connection:
                yield connection.execution_options(**self.options)
            return
        try:
            yield kept
        finally:
            if kept.in_transaction():  # a read that SQLAlchemy began: ended, so no snapshot outlives it
                kept.rollback()


def _kept_connection(key, options):
    kept = current_app.extensions.get(key)
    if kept is None or kept.engine is not db.engine:
        kept = current_app.extensions[key] = _KeptConnections(db.engine, options)
    return kept.connection()


@contextmanager
def write_connection():
    """One atomic write transaction on a connection of its own, committed at the end.

    For hot paths written in SQLAlchemy Core: it skips the ORM session's bookkeeping. The request's
    session, if it has a transaction open, is left alone (SQLite's WAL lets its reader stay)."""
    # The connection is found outside the writers' turn: only the transaction itself holds up the other writers.
    with _kept_connection(_WRITERS, {_IMMEDIATE: True}) as connection, _writer_turn(), connection.begin():
        yield connection
    checkpoints.after_commit(current_app)


def _session_connection():
    """The request session's connection when it has a transaction open (a read must see it), else None."""
    registry = db.session.registry
    if registry.has() and registry().in_transaction():
        return registry().connection()
    return None


@contextmanager
def read_connection():
    """A connection to read from: the request session's own when it has a transaction open (so the read
    sees that transaction), otherwise a pooled connection held only for the read (no ORM bookkeeping)."""
    session_connection = _session_connection()
    if session_connection is not None:
        yield session_connection
        return
    with db.engine.connect() as connection:
        yield connection


@contextmanager
def statement_reads():
    """A connection for reads that need no snapshot shared between statements, run on the driver
    (driver.py): the request session's when it has a transaction open (as read_connection), otherwise the
    thread's kept reader (_KeptConnections), in which no transaction begins. On PostgreSQL that is
    autocommit: a read then costs one round trip, not three (BEGIN, the read, and the pool's ROLLBACK, which
    also makes psycopg forget the statements it prepared), and at READ COMMITTED each statement takes its
    own snapshot anyway. SQLite needs nothing: its driver begins no transaction by itself (configure_engine)
    and SQLAlchemy is never asked for one here."""
    session_connection = _session_connection()
    if session_connection is not None:
        yield session_connection
        return
    options = {"isolation_level": "AUTOCOMMIT"} if db.engine.dialect.name == "postgresql" else {}
    with _kept_connection(_READERS, options) as connection:
        yield connection


def take_turn(connection, turn, wait=True):
    """This transaction's turn among the ones that take turn (a number no other lock uses), held until it ends:
    on PostgreSQL a transaction-level advisory lock, waited for, or with wait=False False at once when another
    transaction holds it. True on SQLite, where a write transaction is alone anyway."""
    if connection.dialect.name != "postgresql":
        return True
    if wait:
        connection.exec_driver_sql("SELECT pg_advisory_xact_lock(%(turn)s)", {"turn": turn})
        return True
    return connection.exec_driver_sql("SELECT pg_try_advisory_xact_lock(%(turn)s)", {"turn": turn}).scalar()


def sqlite_engine_options(busy_timeout):
    return {"connect_args": {"timeout": busy_timeout, "check_same_thread": False}}


@contextmanager
def write_transaction():
    """Run the block as one atomic write transaction of the request's session, committed at the end."""
    session = db.session()  # the request's own Session behind the scoped proxy
    if session.in_transaction():
        session.commit()  # end any read transaction, so the write starts on a fresh snapshot
    with _writer_turn():
        session.connection(execution_options={_IMMEDIATE: True})
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
    checkpoints.after_commit(current_app)


def dialect_module(name):
    """sqlalchemy.dialects.<name>, for its INSERT … ON CONFLICT. Looked up by the engine's dialect, never
    imported at startup: the PostgreSQL dialect alone is about 2 MB resident that a SQLite worker never uses."""
    return importlib.import_module(f"sqlalchemy.dialects.{name}")


def insert_statement(table):
    """An INSERT for this database's dialect, with on_conflict_do_nothing available."""
    return dialect_module(db.session.get_bind().dialect.name).insert(table)
