"""`python -m bench.inprocess`: CPU µs per request in one process, without gunicorn or wrk (the Flask test
client on a SQLite file, production config, rate limits counted, no delivery threads): the best of 5 rounds
of 400 requests per scenario. Steadier than req/s on a busy machine, for comparing two commits.

--database-url runs it on that database instead, EMPTIED first (its public schema dropped): on PostgreSQL the
CPU column leaves out the server's own work, and the wall column (best round, µs per request) is where fewer
round trips show, noise of a busy machine included. --notify turns the key's owner notification on: every
POST then queues one delivery (the outbox row a form's publishable key queues by default)."""
import argparse
import logging
import tempfile
import time

from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from contactapi import accounts, create_app, keys
from contactapi.config import ProductionConfig
from contactapi.extensions import db


def _emptied(url):
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


def migrated_app(url=None):
    """The app as these measurements run it (production config, rate limits counted but never reached, no
    delivery threads) on url, migrated; url None: a new SQLite file."""
    url = url or "sqlite:///" + tempfile.mkdtemp() + "/b.sqlite3"
    app = create_app(ProductionConfig, {"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url,
                                        "RATELIMIT_SECRET_KEY": "1000000/minute", "RATELIMIT_PUBLIC_IP": "1000000/minute",
                                        "DELIVERY_EMBEDDED_WORKERS": 0})
    logging.getLogger("alembic").setLevel(logging.ERROR)
    with app.app_context():
        upgrade()
    return app


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a PostgreSQL database to run on, emptied first (default: a SQLite file)")
    parser.add_argument("--notify", action="store_true", help="notify the key's owner of every POST (one queued mail each)")
    arguments = parser.parse_args()
    url = arguments.database_url
    app = migrated_app(_emptied(url) if url else None)
    with app.app_context():
        account = accounts.get_or_create_account("o@example.com")
        _k, raw = keys.create_key(account, "secret", notify=arguments.notify)
        db.session.remove()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {raw}"}
    N = 400
    counter = [0]

    def new():
        counter[0] += 1
        return client.post("/v1/contacts", json={"email": f"n{counter[0]}@bench.example", "name": "Ada", "plan": "pro"}, headers=headers)

    def same():
        return client.post("/v1/contacts", json={"email": "same@bench.example", "name": "Ada", "plan": "pro"}, headers=headers)

    ids = [new().get_json()["id"] for _ in range(50)]
    def by_id():
        counter[0] += 1
        return client.get(f"/v1/contacts/{ids[counter[0] % 50]}", headers=headers)

    def listing():
        return client.get("/v1/contacts?page=1&page_size=20", headers=headers)

    for name, call in [("POST new", new), ("POST same", same), ("GET by id", by_id), ("GET list", listing)]:
        best, best_wall = None, None
        for _ in range(5):
            start, start_wall = time.process_time(), time.perf_counter()
            for _ in range(N):
                response = call()
                assert response.status_code in (200, 201), response.get_data()
            spent = (time.process_time() - start) / N * 1e6
            wall = (time.perf_counter() - start_wall) / N * 1e6
            best = spent if best is None else min(best, spent)
            best_wall = wall if best_wall is None else min(best_wall, wall)
        print(f"{name}: {best:.0f} µs CPU/request, {best_wall:.0f} µs wall/request")


if __name__ == "__main__":
    main()
