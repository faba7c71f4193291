"""`python -m bench.inprocess`: CPU µs per request in one process, without gunicorn or wrk (the Flask test
client on a SQLite file, production config, rate limits counted, no delivery threads): the best of 5 rounds
of 400 requests per scenario. Steadier than req/s on a busy machine, for comparing two commits."""
import logging
import tempfile
import time

from flask_migrate import upgrade

from contactapi import accounts, create_app, keys
from contactapi.config import ProductionConfig
from contactapi.extensions import db


def main():
    path = tempfile.mkdtemp() + "/b.sqlite3"
    app = create_app(ProductionConfig, {"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
                                        "RATELIMIT_SECRET_KEY": "1000000/minute", "RATELIMIT_PUBLIC_IP": "1000000/minute",
                                        "DELIVERY_EMBEDDED_WORKERS": 0})
    logging.getLogger("alembic").setLevel(logging.ERROR)
    with app.app_context():
        upgrade()
        account = accounts.get_or_create_account("o@example.com")
        _k, raw = keys.create_key(account, "secret")
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
        best = None
        for _ in range(5):
            start = time.process_time()
            for _ in range(N):
                response = call()
                assert response.status_code in (200, 201), response.get_data()
            spent = (time.process_time() - start) / N * 1e6
            best = spent if best is None else min(best, spent)
        print(f"{name}: {best:.0f} µs CPU/request")


if __name__ == "__main__":
    main()
