"""`python -m bench.search_write_cost`: SQLite's own work in a submission's write transaction, with the search
index written in it (migration 0010's trigger) and with the submission only noted for later (0011's, what
search.py indexes in batches).

Raw sqlite3 with prebuilt parameters, so only SQLite's work (and its WAL writes) is timed: the five
statements of a new contact with a notification, and COMMIT. Both copies start from the same database of
20,000 such transactions; rounds alternate between them. Prints the median and best CPU µs per transaction."""
import importlib.util
import json
import os
import secrets
import shutil
import sqlite3
import statistics
import tempfile
import time

from . import seed

ROUNDS, PER_ROUND, SEEDED = 16, 400, 20_000
_MIGRATION = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                          "migrations", "versions", "0011_search_index_later.py")


def _migration_0011():
    spec = importlib.util.spec_from_file_location("migration_0011", _MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _open(path):
    connection = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
        connection.execute(f"PRAGMA {pragma}")
    return connection


def _submission(connection, account_id, key_id, n):
    """One new contact's write transaction, as storage.upsert and outbox.queue write it on SQLite."""
    now = f"2026-11-22 07:00:00.{n % 1_000_000:06d}"
    contact, email = "con_" + secrets.token_hex(8), f"n{n}-{secrets.token_hex(3)}@bench.example"
    payload = {"to": "owner@bench.example", "subject": f"New submission from {email}", "template": "notification",
               "context": {"fields": [["name", "Ada"], ["plan", "pro"]], "unsubscribe_url": "x" * 200}}
    connection.execute("BEGIN IMMEDIATE")
    connection.execute(
        "INSERT INTO contacts (id, account_id, email, fields, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (account_id, email) DO UPDATE SET updated_at = contacts.updated_at RETURNING *",
        (contact, account_id, email, '{"name": "Ada", "plan": "pro"}', now, now)).fetchall()
    connection.execute("UPDATE accounts SET contact_count = contact_count + 1 WHERE id = ?", (account_id,))
    connection.execute(
        "INSERT INTO submissions (id, contact_id, account_id, key_id, fields, created_at, page, user_agent) "
        "VALUES (?, ?, ?, ?, ?, ?, NULL, 'wrk')",
        ("sub_" + secrets.token_hex(8), contact, account_id, key_id,
         json.dumps({"email": email, "name": "Ada", "plan": "pro"}), now))
    connection.execute(
        "INSERT INTO deliveries (id, account_id, kind, topic, email, webhook_id, priority, payload, status, attempts, "
        "next_attempt_at, created_at) VALUES (?, ?, 'mail', 'notification', 'owner@bench.example', NULL, 1, ?, "
        "'pending', 0, ?, ?)", ("msg_" + secrets.token_hex(8), account_id, json.dumps(payload), now, now))
    connection.execute("COMMIT")


def main():
    workdir = tempfile.mkdtemp(prefix="contactapi-search-write-")
    path = os.path.join(workdir, "seeded.sqlite3")
    app = seed.make_app(f"sqlite:///{path}")
    seed.reset_schema(app)
    account = seed.make_account(app, "owner@bench.example")
    connection = _open(path)
    key_id = connection.execute("SELECT id FROM api_keys WHERE account_id = ?", (account.id,)).fetchone()
    key_id = key_id[0] if key_id else None
    for n in range(SEEDED):
        _submission(connection, account.id, key_id, n)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    variants = {"indexed in the write (0010)": _migration_0011().SQLITE_DOWN, "noted for later (0011)": []}
    connections = {}
    for n, (name, statements) in enumerate(variants.items()):
        copy = os.path.join(workdir, f"copy{n}.sqlite3")
        shutil.copy(path, copy)
        connections[name] = _open(copy)
        for statement in statements:
            connections[name].execute(statement)
    timings, n = {name: [] for name in variants}, SEEDED
    for _ in range(ROUNDS):
        for name, connection in connections.items():
            started = time.process_time()
            for _ in range(PER_ROUND):
                n += 1
                _submission(connection, account.id, key_id, n)
            timings[name].append((time.process_time() - started) / PER_ROUND * 1e6)
    for name, values in timings.items():
        print(f"{name}: median {statistics.median(values):.0f} µs, best {min(values):.0f} µs per transaction")
    shutil.rmtree(workdir)


if __name__ == "__main__":
    main()
