"""`python -m bench.search`: the inbox search at 1,000,000 submissions, on SQLite and PostgreSQL.

One account holds SUBMISSIONS submissions (ten per contact) of random words; one word is in 1 % of them.
The first page (20) of the inbox search is asked ROUNDS times, in process, through the app's own search
(inbox.page_of), for that word and for a fragment of one email address; p50 and p95 are printed.
PostgreSQL runs when --database-url or BENCH_DATABASE_URL names one (it is EMPTIED)."""
import argparse
import json
import os
import random
import statistics
import tempfile
import time
from datetime import datetime, timedelta

from sqlalchemy import text

from contactapi import inbox, search_index
from contactapi.extensions import db

from .seed import make_account, make_app, reset_schema

SUBMISSIONS = 1_000_000
PER_CONTACT = 10
ROUNDS = 50
RARE_WORD = "invoice"  # in 1 % of the submissions
START = datetime(2024, 1, 1)
BATCH = 20_000
ACCOUNT_EMAIL = "search@bench.example"


def _vocabulary(size=3000, seed=7):
    chooser = random.Random(seed)
    return ["".join(chooser.choice("abcdefghijklmnoprstuvwy") for _ in range(chooser.randint(3, 9))) for _ in range(size)]


def _rows(account_id, count):
    """(contact rows, submission rows) in batches, newest last."""
    words = _vocabulary()
    chooser = random.Random(11)
    for start in range(0, count, BATCH):
        contacts, submissions = [], []
        for n in range(start, min(start + BATCH, count)):
            person = n // PER_CONTACT
            email = f"person{person}@host{person % 997}.example"
            moment = START + timedelta(seconds=n)
            stamp = moment.strftime("%Y-%m-%d %H:%M:%S.%f")
            if n % PER_CONTACT == 0:
                contacts.append((f"con_{person:012d}", account_id, email, json.dumps({"name": f"Person {person}"}), stamp, stamp))
            message = " ".join(chooser.choice(words) for _ in range(12))
            if n % 100 == 0:
                message += f" {RARE_WORD}"
            fields = json.dumps({"email": email, "name": f"Person {person}", "message": message})
            submissions.append((f"sub_{n:012d}", f"con_{person:012d}", account_id, None, fields, stamp))
        yield contacts, submissions


def seed(app, account_id, count):
    with app.app_context():
        with db.engine.begin() as connection:
            for contacts, submissions in _rows(account_id, count):
                connection.exec_driver_sql(
                    "INSERT INTO contacts (id, account_id, email, fields, created_at, updated_at) "
                    "VALUES (%s, %s, %s, %s, %s, %s)" if connection.dialect.name == "postgresql" else
                    "INSERT INTO contacts (id, account_id, email, fields, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                    contacts)
                connection.exec_driver_sql(
                    "INSERT INTO submissions (id, contact_id, account_id, key_id, fields, created_at) "
                    "VALUES (%s, %s, %s, %s, %s, %s)" if connection.dialect.name == "postgresql" else
                    "INSERT INTO submissions (id, contact_id, account_id, key_id, fields, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                    submissions)
        # Indexed as a live database's delivery workers would have indexed them meanwhile (search_index.py), so
        # the first search measured does not pay for the whole seed.
        search_index.index_pending(limit=None)
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM ANALYZE submissions"))
        else:
            # one 1 GB transaction left a WAL that every read would search: live databases never have one
            with db.engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        db.engine.dispose()


def measure(app, account_id, query):
    timings, found = [], 0
    with app.app_context():
        for _ in range(ROUNDS):
            started = time.perf_counter()
            page = inbox.page_of(account_id, inbox.InboxFilter(query=query), 1, 20)
            timings.append((time.perf_counter() - started) * 1000)
            found = len(page.items)
        db.session.remove()
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.95) - 1], found


def _seeded_account(app, count):
    """The benchmark's account when an earlier run (--reuse) left it with count submissions, else None."""
    with app.app_context():
        try:
            with db.engine.connect() as connection:
                row = connection.execute(text(
                    "SELECT a.id, count(s.id) FROM accounts a JOIN submissions s ON s.account_id = a.id "
                    "WHERE a.email = :email GROUP BY a.id"), {"email": ACCOUNT_EMAIL}).first()
        except Exception:  # no schema yet
            row = None
        finally:
            db.engine.dispose()
    return row[0] if row and row[1] == count else None


def run(name, url, count, reuse=False):
    app = make_app(url)
    account_id = _seeded_account(app, count) if reuse else None
    if account_id is None:
        reset_schema(app)
        account_id = make_account(app, ACCOUNT_EMAIL).id
        started = time.monotonic()
        seed(app, account_id, count)
        print(f"{name}: seeded {count:,} submissions in {time.monotonic() - started:.0f} s", flush=True)
    else:
        print(f"{name}: reusing the {count:,} submissions seeded by an earlier run", flush=True)
    account = argparse.Namespace(id=account_id)
    fragment = f"rson{count // PER_CONTACT // 3}@ho"
    for label, query in [(f"word in 1 % ({RARE_WORD!r})", RARE_WORD), (f"email fragment ({fragment!r})", fragment)]:
        p50, p95, found = measure(app, account.id, query)
        print(f"{name}: {label}: first page {found} results, p50 {p50:.1f} ms, p95 {p95:.1f} ms", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.search", description=__doc__)
    parser.add_argument("--submissions", type=int, default=SUBMISSIONS)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--sqlite-path", help="keep the SQLite database in this file (default: a temporary one)")
    parser.add_argument("--reuse", action="store_true",
                        help="measure the databases an earlier run seeded (same --submissions) instead of seeding again")
    options = parser.parse_args(argv)
    if not options.skip_sqlite:
        if options.sqlite_path:
            run("SQLite", f"sqlite:///{os.path.abspath(options.sqlite_path)}", options.submissions, options.reuse)
        else:
            with tempfile.TemporaryDirectory() as folder:
                run("SQLite", f"sqlite:///{folder}/search.sqlite3", options.submissions)
    if options.database_url:
        run("PostgreSQL", options.database_url, options.submissions, options.reuse)


if __name__ == "__main__":
    main()
