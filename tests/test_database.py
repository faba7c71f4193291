"""database.write_connection and statement_reads: each thread keeps its connection for each from one use to the
next, and a kept connection never holds a transaction, a lock or a snapshot between uses (run on SQLite and, with
TEST_DATABASE_URL, on PostgreSQL)."""
import multiprocessing
import sqlite3

import pytest
from sqlalchemy import make_url, select, text

from contactapi.database import statement_reads, write_connection
from contactapi.extensions import db
from contactapi.models import Contact


def on_postgresql(app):
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")


def stored_emails(app):
    with app.app_context():
        emails = set(db.session.execute(select(Contact.email)).scalars())
        db.session.remove()
    return emails


def test_the_write_connection_is_kept_between_transactions_and_holds_nothing_between_them(app, client, auth):
    with app.app_context():
        with write_connection() as first:
            pass
        with write_connection() as second:
            pass
    assert first is second
    assert client.post("/v1/contacts", json={"email": "ada@example.com"}, headers=auth).status_code == 201
    if on_postgresql(app):
        with app.app_context():
            busy = db.session.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                           "AND state LIKE 'idle in transaction%'")).scalar()
            db.session.remove()
        assert busy == 0
    else:  # another writer takes the write lock at once: no transaction was left open
        path = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        other.close()


def test_a_write_after_the_database_dropped_the_kept_connection_reconnects(app, client, auth):
    if not on_postgresql(app):
        pytest.skip("a server that drops connections: PostgreSQL")
    assert client.post("/v1/contacts", json={"email": "ada@example.com"}, headers=auth).status_code == 201
    with app.app_context():
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as admin:
            admin.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                               "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
    answers = [client.post("/v1/contacts", json={"email": f"grace{i}@example.com"}, headers=auth).status_code
               for i in range(2)]
    # The first write may find its connection gone (a 500, nothing stored); the one after it reconnects.
    assert answers[-1] == 201
    assert "grace1@example.com" in stored_emails(app)


def test_a_write_transaction_inside_another_gets_a_connection_of_its_own(app):
    if not on_postgresql(app):
        pytest.skip("SQLite has one writer at a time: a nested writer would wait for the outer one")
    with app.app_context(), write_connection() as outer:
        with write_connection() as inner:
            assert inner is not outer
            inner.execute(text("CREATE TEMPORARY TABLE nested_probe (n int)"))
        outer.execute(text("SELECT 1"))


def _connection_identity(connection):
    """Which database session this is: the server's process on PostgreSQL, the driver's connection on SQLite."""
    if connection.dialect.name == "postgresql":
        return connection.execute(text("SELECT pg_backend_pid()")).scalar()
    return id(connection.connection.driver_connection)


def _write_in_child(app, answers):
    with app.app_context(), write_connection() as connection:
        answers.put(_connection_identity(connection))


def test_a_forked_process_writes_on_a_connection_of_its_own(app, client, auth):
    with app.app_context(), write_connection() as connection:
        parent = _connection_identity(connection)
    context = multiprocessing.get_context("fork")
    answers = context.Queue()
    child = context.Process(target=_write_in_child, args=(app, answers))
    child.start()
    child.join(30)
    assert child.exitcode == 0
    assert answers.get(timeout=5) != parent
    # The parent's kept connection still works: the child did not use (or close) it.
    assert client.post("/v1/contacts", json={"email": "parent@example.com"}, headers=auth).status_code == 201
    with app.app_context(), write_connection() as connection:
        assert _connection_identity(connection) == parent


def test_reads_on_the_driver_keep_their_connection_and_leave_no_transaction_open(app, client, auth):
    contact_id = client.post("/v1/contacts", json={"email": "ada@example.com"}, headers=auth).get_json()["id"]
    assert client.get(f"/v1/contacts/{contact_id}", headers=auth).status_code == 200
    with app.app_context():
        with statement_reads() as first:
            first.execute(text("SELECT 1"))  # SQLAlchemy begins a transaction for it...
        assert not first.in_transaction()  # ...which ends with the read
        with statement_reads() as second:
            assert second is first
            if on_postgresql(app):  # each read its own round trip: no BEGIN, no ROLLBACK
                assert second.connection.driver_connection.autocommit
    assert client.get(f"/v1/contacts/{contact_id}", headers=auth).get_json()["email"] == "ada@example.com"


def test_after_postgresql_drops_every_connection_reads_answer_and_writes_recover(make_app, app, auth):
    """A restart or a failover closes every connection: the kept ones reconnect on their next use (a read at
    once; a write's lost transaction fails that one request)."""
    if not on_postgresql(app):
        pytest.skip("PostgreSQL drops connections; a SQLite file has none to drop")
    first_app, app = app, make_app(KEY_CACHE_TTL=3600)  # the key stays known: no read through the ORM's connection
    client = app.test_client()
    created = client.post("/v1/contacts", json={"email": "ada@example.com"}, headers=auth)
    assert created.status_code == 201 and client.get("/v1/contacts", headers=auth).status_code == 200
    with app.app_context():
        db.session.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
        db.session.commit()
        db.session.remove()
    for _ in range(3):
        assert client.get("/v1/contacts", headers=auth).status_code == 200
        assert client.get(f"/v1/contacts/{created.get_json()['id']}", headers=auth).status_code == 200
    statuses = [client.post("/v1/contacts", json={"email": f"n{n}@example.com"}, headers=auth).status_code
                for n in range(3)]
    assert statuses[1:] == [201, 201]
    assert stored_emails(app) >= {"ada@example.com", "n1@example.com", "n2@example.com"}
    with first_app.app_context():  # its pooled connections were dropped too: the tables are emptied through it
        db.engine.dispose()
