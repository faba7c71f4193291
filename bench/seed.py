"""A fresh benchmark database: schema by migration, accounts and keys, and contacts loaded in bulk."""
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_migrate import upgrade
from sqlalchemy import text

from contactapi import accounts, create_app, keys
from contactapi.config import ProductionConfig
from contactapi.extensions import db

SEED_START = datetime(2024, 1, 1)
BATCH = 20_000
FORM_DOMAIN = "bench.example"


@dataclass
class Account:
    """An account the benchmark uses, with the raw keys made for it."""

    id: int
    secret_key: str
    publishable_key: str = ""
    contact_ids: list = field(default_factory=list)
    ids_file: str = ""


def make_app(url):
    """The real app on url (production config), to migrate, seed and check from the harness."""
    return create_app(ProductionConfig, {"SECRET_KEY": "bench-only", "SQLALCHEMY_DATABASE_URI": url})


def reset_schema(app):
    """Empty the database and migrate it to head, the way `flask db upgrade` does in production."""
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
        upgrade()


def make_account(app, email, notify=False):
    """An account with one secret and one publishable key (locked to bench.example); notify: each post to
    either key queues a notification mail to the owner (a row in the outbox, sent by the delivery workers)."""
    with app.app_context():
        account = accounts.get_or_create_account(email)
        _key, secret = keys.create_key(account, "secret", notify=notify)
        _key, publishable = keys.create_key(account, "publishable", domains=[FORM_DOMAIN], notify=notify)
        db.session.remove()
    return Account(account.id, secret, publishable)


def _rows(account_id, count, tag):
    """count contacts, one millisecond apart, newest last; ids random like the app's."""
    for n in range(count):
        moment = SEED_START + timedelta(milliseconds=n)
        yield ("con_" + secrets.token_hex(8), account_id, f"{tag}-{n}@seed.example",
               json.dumps({"name": f"Seed {n}", "plan": "free"}), moment, moment)


def _copy_postgresql(connection, rows):
    raw = connection.connection.driver_connection
    with raw.cursor() as cursor:
        columns = "id, account_id, email, fields, created_at, updated_at"
        with cursor.copy(f"COPY contacts ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def _insert_sqlite(connection, rows):
    # SQLAlchemy stores SQLite DateTime as text with microseconds; write the same format.
    statement = "INSERT INTO contacts (id, account_id, email, fields, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)"
    batch = []
    for row in rows:
        stamp = row[4].strftime("%Y-%m-%d %H:%M:%S.%f")
        batch.append((*row[:4], stamp, stamp))
        if len(batch) == BATCH:
            connection.exec_driver_sql(statement, batch)
            batch = []
    if batch:
        connection.exec_driver_sql(statement, batch)


def seed_contacts(app, account, count, tag):
    """Load count contacts into account in bulk (COPY / executemany), keeping contact_count exact."""
    with app.app_context():
        with db.engine.begin() as connection:
            load = _copy_postgresql if connection.dialect.name == "postgresql" else _insert_sqlite
            load(connection, _rows(account.id, count, tag))
            connection.execute(
                text("UPDATE accounts SET contact_count = (SELECT count(*) FROM contacts WHERE account_id = :id) "
                     "WHERE id = :id"), {"id": account.id},
            )
            account.contact_ids = list(connection.execute(
                text("SELECT id FROM contacts WHERE account_id = :id LIMIT 1000"), {"id": account.id}
            ).scalars())
        if db.engine.dialect.name == "postgresql":
            # What autovacuum does soon after a bulk load: statistics, and the visibility map that lets
            # the newest-first index be read without visiting the table.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM ANALYZE contacts"))
        db.engine.dispose()
    return account
