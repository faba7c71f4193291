"""The create floor: the least a Flask app can do to perform the whole create the contract asks for, served
like the real one, on the run's own database and schema.

POST /v1/contacts does, with nothing in between, what our create must do for a secret key that notifies its
owner: it finds the key (once per worker, then from a dict), counts one hit of the key's budget with `limits`
(the library our limits use, same storage URI and strategy) and reads the window back for the X-RateLimit-*
headers, validates and lowercases the address with email-validator, then in one transaction on the driver
upserts the contact into our `contacts` table (RETURNING), counts a new contact on its account (SQLite) or in
a change row (PostgreSQL), records the submission in `submissions`, merges the fields of an existing contact
and prunes its submissions past 1,000, and queues the owner's mail in `deliveries`; then it answers the
contact. The same rows in the same tables behind the same indexes and triggers as ours, written by about 100
lines: no blueprint, no ORM, no SQLAlchemy, no idempotency, no CORS, no response hooks. What it leaves out of
our create: the Idempotency-Key handling, NUL checks, the security headers, contact size limits, the
webhooks and extra recipients looked up per post, and the mail rendered from our template data.

Its ratio to the bare POST is what this feature set leaves of the bare app's throughput on this machine, for
any Python implementation on this stack: a create target above it cannot be met by making our code faster."""
import fcntl
import hashlib
import json
import os
import secrets
import sqlite3
import threading
from datetime import datetime, timezone

from email_validator import EmailNotValidError, validate_email
from flask import Flask, request
from limits import parse, storage, strategies

app = Flask(__name__)
app.config["DELIVERY_EMBEDDED_WORKERS"] = 0  # gunicorn.conf.py starts the outbox's workers in the app it serves

_URL = os.environ["DATABASE_URL"]
_POSTGRES = _URL.startswith("postgresql")
_P = "%s" if _POSTGRES else "?"
_LIMIT = parse(os.environ.get("RATELIMIT_SECRET_KEY", "600/minute").split(";")[0])
_STRATEGIES = {"fixed-window": strategies.FixedWindowRateLimiter, "moving-window": strategies.MovingWindowRateLimiter,
               "sliding-window-counter": strategies.SlidingWindowCounterRateLimiter}
_local = threading.local()
# Queued as 'held', not 'pending': the same row in the same indexes, which the real server's delivery workers
# (serving the same database) never send.

_UPSERT = (f"INSERT INTO contacts (id, account_id, email, fields, created_at, updated_at, submission_seq) "
           f"VALUES ({_P}, {_P}, {_P}, {_P}, {_P}, {_P}, 1) ON CONFLICT (account_id, email) "
           f"DO UPDATE SET submission_seq = contacts.submission_seq + 1 "
           f"RETURNING id, fields, created_at, submission_seq")
_COUNT = f"UPDATE accounts SET contact_count = contact_count + 1 WHERE id = {_P}"
_RECORD = (f"INSERT INTO submissions (id, contact_id, account_id, key_id, fields, created_at, user_agent, seq) "
           f"VALUES ({_P}, {_P}, {_P}, {_P}, {_P}, {_P}, {_P}, {_P})")
_OVERWRITE = f"UPDATE contacts SET fields = {_P}, updated_at = {_P} WHERE id = {_P}"
_PRUNE = f"DELETE FROM submissions WHERE contact_id = {_P} AND seq <= {_P}"
_QUEUE = (f"INSERT INTO deliveries (id, account_id, kind, topic, email, priority, payload, status, attempts, "
          f"next_attempt_at, created_at) VALUES ({_P}, {_P}, 'mail', 'notification', {_P}, 1, {_P}, 'held', 0, "
          f"{_P}, {_P})")
# PostgreSQL: the whole create as one statement in autocommit (one round trip, no BEGIN or COMMIT; the row
# lock lasts the statement): the fields merged in SQL in the order Python's {**old, **new} gives, the
# submission recorded, the oldest past 1,000 pruned, a new contact counted, the owner's mail queued.
_MERGED = ("(SELECT coalesce(json_object_agg(k, v ORDER BY pos), '{}'::json) FROM (SELECT coalesce(o.key, s.key) AS k, "
           "CASE WHEN s.key IS NULL THEN o.value ELSE s.value END AS v, "
           "CASE WHEN o.key IS NULL THEN 1000000 + s.ord ELSE o.ord END AS pos "
           "FROM json_each(contacts.fields) WITH ORDINALITY o(key, value, ord) "
           "FULL JOIN json_each(excluded.fields) WITH ORDINALITY s(key, value, ord) ON o.key = s.key) merged)")
_CREATE = (
    "WITH up AS (INSERT INTO contacts (id, account_id, email, fields, created_at, updated_at, submission_seq) "
    "VALUES (%(id)s, %(account)s, %(email)s, %(fields)s::json, %(now)s, %(now)s, 1) ON CONFLICT (account_id, email) "
    f"DO UPDATE SET submission_seq = contacts.submission_seq + 1, updated_at = excluded.updated_at, fields = {_MERGED} "
    "RETURNING id, fields, created_at, submission_seq), "
    "counted AS (INSERT INTO contact_count_changes (account_id, delta) "
    "SELECT %(account)s, 1 FROM up WHERE up.id = %(id)s), "
    "recorded AS (INSERT INTO submissions (id, contact_id, account_id, key_id, fields, created_at, user_agent, seq) "
    "SELECT %(sub)s, up.id, %(account)s, %(key)s, %(sent)s::json, %(now)s, %(ua)s, up.submission_seq FROM up), "
    "pruned AS (DELETE FROM submissions USING up WHERE submissions.contact_id = up.id "
    "AND submissions.seq <= up.submission_seq - 1000), "
    "queued AS (INSERT INTO deliveries (id, account_id, kind, topic, email, priority, payload, status, attempts, "
    "next_attempt_at, created_at) SELECT %(msg)s, %(account)s, 'mail', 'notification', %(email)s, 1, "
    "replace(%(mail)s, %(id)s, up.id)::json, 'held', 0, %(now)s, %(now)s FROM up) "
    "SELECT id, fields, created_at FROM up"
)
_KEY = (f"SELECT api_keys.id, api_keys.account_id, accounts.email FROM api_keys JOIN accounts "
        f"ON accounts.id = api_keys.account_id WHERE api_keys.digest = {_P} AND api_keys.status = 'active'")


def _connect():
    if _POSTGRES:
        import psycopg

        return psycopg.connect(_URL.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
    path = _URL.removeprefix("sqlite:///")
    connection = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("PRAGMA foreign_keys=ON")
    return connection


def _worker():
    """This worker's connection, limiter and known keys (each forked worker makes its own)."""
    if getattr(_local, "pid", None) != os.getpid():
        _local.connection, _local.pid, _local.keys = _connect(), os.getpid(), {}
        # Writers queue on a kernel lock before BEGIN IMMEDIATE, as ours do (database._WriterTurns), so no
        # writer sleeps in SQLite's busy handler: the lock file is ours, so the two would exclude each other.
        _local.turns = None if _POSTGRES else open(
            os.path.abspath(_URL.removeprefix("sqlite:///")) + "-writers.lock", "ab")
        store = storage.storage_from_string(os.environ.get("RATELIMIT_STORAGE_URI", "memory://"))
        _local.limiter = _STRATEGIES[os.environ.get("RATELIMIT_STRATEGY", "fixed-window")](store)
    return _local


def _key(worker, raw):
    if raw not in worker.keys:
        digest = hashlib.sha256(raw.encode()).hexdigest()
        worker.keys[raw] = worker.connection.execute(_KEY, (digest,)).fetchone()
    return worker.keys[raw]


def _write(connection, turns, key, email, fields, user_agent):
    key_id, account_id, owner = key
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    contact_id = "con_" + secrets.token_hex(8)
    unsubscribe = f"http://127.0.0.1/unsubscribe/{key_id}"
    mail = {"to": owner, "from_name": None, "subject": f"New submission from {email}", "template": "notification",
            "headers": {"Reply-To": email, "List-Unsubscribe": f"<{unsubscribe}>",
                        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
            "context": {"contact": {"id": contact_id, "email": email}, "fields": list(fields.items()),
                        "key_id": key_id, "unsubscribe_url": unsubscribe}}
    if _POSTGRES:
        stored_id, fields, created_at = connection.execute(_CREATE, {
            "id": contact_id, "account": account_id, "email": email, "fields": json.dumps(fields), "now": now,
            "sub": "sub_" + secrets.token_hex(8), "key": key_id, "sent": json.dumps({"email": email, **fields}),
            "ua": user_agent, "msg": "msg_" + secrets.token_hex(8), "mail": json.dumps(mail)}).fetchone()
        return {"id": stored_id, "email": email, "fields": fields, "created_at": str(created_at),
                "updated_at": str(now)}, stored_id == contact_id
    fcntl.flock(turns, fcntl.LOCK_EX)
    try:
        connection.execute("BEGIN IMMEDIATE")
        row = connection.execute(_UPSERT, (contact_id, account_id, email, json.dumps(fields), now.isoformat(" "),
                                           now.isoformat(" "), )).fetchone()
        stored_id, stored_fields, created_at, seq = row
        created = stored_id == contact_id
        if created:
            connection.execute(_COUNT, (account_id,))
        connection.execute(_RECORD, ("sub_" + secrets.token_hex(8), stored_id, account_id, key_id,
                                     json.dumps({"email": email, **fields}), now.isoformat(" "), user_agent, seq))
        if not created:
            old = stored_fields if isinstance(stored_fields, dict) else json.loads(stored_fields)
            fields = {**old, **fields}
            connection.execute(_OVERWRITE, (json.dumps(fields), now.isoformat(" "), stored_id))
            if seq > 1000:
                connection.execute(_PRUNE, (stored_id, seq - 1000))
        mail["context"]["contact"]["id"] = stored_id
        connection.execute(_QUEUE, ("msg_" + secrets.token_hex(8), account_id, email, json.dumps(mail),
                                    now.isoformat(" "), now.isoformat(" ")))
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    finally:
        fcntl.flock(turns, fcntl.LOCK_UN)
    return {"id": stored_id, "email": email, "fields": fields, "created_at": str(created_at),
            "updated_at": str(now)}, created


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


@app.post("/v1/contacts")
def create():
    worker = _worker()
    key = _key(worker, request.headers.get("Authorization", "").removeprefix("Bearer "))
    if key is None:
        return {"error": {"code": "invalid_key", "message": "Unknown key."}}, 401
    allowed = worker.limiter.hit(_LIMIT, "secret-key", key[0])
    window = worker.limiter.get_window_stats(_LIMIT, "secret-key", key[0])
    headers = {"X-RateLimit-Limit": str(_LIMIT.amount), "X-RateLimit-Remaining": str(window.remaining),
               "X-RateLimit-Reset": str(int(window.reset_time + 1))}
    if not allowed:
        return {"error": {"code": "rate_limited", "message": "Too many requests."}}, 429, headers
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return {"error": {"code": "invalid_json", "message": "Send a JSON object."}}, 400
    try:
        email = validate_email(body.get("email") or "", check_deliverability=False).normalized.lower()
    except (EmailNotValidError, TypeError) as error:
        return {"error": {"code": "invalid_email", "message": str(error)}}, 400
    fields = {name: value for name, value in body.items() if name != "email"}
    contact, created = _write(worker.connection, worker.turns, key, email, fields, request.headers.get("User-Agent"))
    return contact, 201 if created else 200, headers
