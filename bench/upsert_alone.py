"""`python -m bench.upsert_alone [DATABASE_URL]`: the upsert alone, without the request around it: µs of CPU
and wall per call, 300 new addresses then 300 posts to one address, the best of 5 rounds each (production
config, no deliveries). A SQLite file by default; a PostgreSQL URL is EMPTIED first (its public schema
dropped). For comparing commits: before storage.py (commit 9015ea3) the upsert was contacts.upsert."""
import logging
import sys
import tempfile
import time

from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from contactapi import accounts, create_app
from contactapi.config import ProductionConfig
from contactapi.extensions import db

try:
    from contactapi.storage import upsert
except ImportError:  # a commit before storage.py
    from contactapi.contacts import upsert

ROUNDS, CALLS = 5, 300


def _emptied(url):
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


def main():
    url = _emptied(sys.argv[1]) if len(sys.argv) > 1 else "sqlite:///" + tempfile.mkdtemp() + "/u.sqlite3"
    app = create_app(ProductionConfig, {"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url,
                                        "DELIVERY_EMBEDDED_WORKERS": 0})
    logging.getLogger("alembic").setLevel(logging.ERROR)
    with app.app_context():
        upgrade()
        account_id = accounts.get_or_create_account("o@example.com").id
        db.session.remove()
    posted = 0
    with app.test_request_context():
        for name, email in (("new addresses", None), ("one address", "same@example.com")):
            cpu, wall = [], []
            for _ in range(ROUNDS):
                start, start_wall = time.process_time(), time.perf_counter()
                for _ in range(CALLS):
                    posted += 1
                    upsert(account_id, email or f"n{posted}@example.com", {"name": "Ada", "plan": "pro", "n": posted}, None)
                cpu.append((time.process_time() - start) / CALLS * 1e6)
                wall.append((time.perf_counter() - start_wall) / CALLS * 1e6)
            print(f"upsert, {name}: {min(cpu):.0f} µs CPU, {min(wall):.0f} µs wall per call")


if __name__ == "__main__":
    main()
