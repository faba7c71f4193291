"""The floor: the least a Flask app can do to store a posted contact durably, served like the real one.

POST /floor validates the address with email-validator, lowercases it, and upserts one row by it
(INSERT … ON CONFLICT (email) DO UPDATE … RETURNING) in a transaction of its own, straight on the driver:
SQLite in WAL mode with synchronous=NORMAL and BEGIN IMMEDIATE as the service runs it, or PostgreSQL through
psycopg, on the database of the run (DATABASE_URL). No key, no rate limit, no submission kept, nothing
queued, no ORM. Its ratio to the bare POST is what one durable write per request leaves of the bare app's
throughput on this machine: the ceiling any create path that stores before it answers stays under."""
import json
import os
import secrets
import sqlite3
import threading
from datetime import datetime, timezone

from email_validator import EmailNotValidError, validate_email
from flask import Flask, request

app = Flask(__name__)
app.config["DELIVERY_EMBEDDED_WORKERS"] = 0  # gunicorn.conf.py starts the outbox's workers in the app it serves

_URL = os.environ.get("DATABASE_URL", "sqlite:///" + os.path.join(app.instance_path, "floor.sqlite3"))
_POSTGRES = _URL.startswith("postgresql")
_TABLE = ("CREATE TABLE IF NOT EXISTS floor_contacts (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, "
          "fields TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)")
_UPSERT = ("INSERT INTO floor_contacts (id, email, fields, created_at, updated_at) VALUES ({0}, {0}, {0}, {0}, {0}) "
           "ON CONFLICT (email) DO UPDATE SET fields = excluded.fields, updated_at = excluded.updated_at "
           "RETURNING id, created_at").format("%s" if _POSTGRES else "?")
_local = threading.local()


def _connect():
    if _POSTGRES:
        import psycopg

        connection = psycopg.connect(_URL.replace("postgresql+psycopg://", "postgresql://"))
        with connection.transaction():  # the workers start together: one creates the table
            connection.execute("SELECT pg_advisory_xact_lock(424242)")
            connection.execute(_TABLE)
        return connection
    path = _URL.removeprefix("sqlite:///") + ".floor"  # a file of its own, beside the run's database
    connection = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute(_TABLE)
    return connection


def _connection():
    if getattr(_local, "pid", None) != os.getpid():  # each forked worker opens its own
        _local.connection, _local.pid = _connect(), os.getpid()
    return _local.connection


def _upsert(email, fields):
    now = datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")
    row = ("con_" + secrets.token_hex(8), email, json.dumps(fields), now, now)
    connection = _connection()
    if _POSTGRES:
        with connection.transaction():
            return connection.execute(_UPSERT, row).fetchone(), now
    connection.execute("BEGIN IMMEDIATE")
    try:
        stored = connection.execute(_UPSERT, row).fetchone()
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    return stored, now


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


@app.post("/floor")
def floor_post():
    body = request.get_json()
    try:
        email = validate_email(body.get("email", ""), check_deliverability=False).normalized.lower()
    except (EmailNotValidError, AttributeError) as error:
        return {"error": {"message": str(error), "code": "invalid_email"}}, 400
    fields = {name: value for name, value in body.items() if name != "email"}
    (contact_id, created_at), now = _upsert(email, fields)
    answer = {"id": contact_id, "email": email, "fields": fields, "created_at": created_at, "updated_at": now}
    return answer, 201 if created_at == now else 200
