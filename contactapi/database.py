"""How the app talks to its database: SQLite tuning and one way to run an atomic write."""
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite

from .extensions import db

_IMMEDIATE = "contactapi_immediate"


def configure_engine(engine, busy_timeout):
    """On SQLite: WAL, a busy timeout, foreign keys, and BEGIN IMMEDIATE for write transactions."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not the driver, decide when a transaction begins (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # A writer takes the lock up front, so it queues behind others (busy timeout) instead of
        # failing when it would upgrade a read lock that another writer has since outdated.
        immediate = connection.get_execution_options().get(_IMMEDIATE)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def sqlite_engine_options(busy_timeout):
    return {"connect_args": {"timeout": busy_timeout, "check_same_thread": False}}


@contextmanager
def write_transaction():
    """Run the block as one atomic write transaction of the request's session, committed at the end."""
    session = db.session()  # the request's own Session behind the scoped proxy
    if session.in_transaction():
        session.commit()  # end any read transaction, so the write starts on a fresh snapshot
    session.connection(execution_options={_IMMEDIATE: True})
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def insert_statement(table):
    """An INSERT for this database's dialect, with on_conflict_do_nothing available."""
    dialect = db.session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)
