"""`python -m bench.notify_cost`: CPU µs per POST /v1/contacts through a secret key whose owner is notified,
against one whose owner is not (what queuing the notification adds to the submission's request), in one
process as bench/inprocess.py measures it: test client, SQLite file, production config, no delivery threads,
best of 5 rounds of 400 requests each, the two keys' rounds taken in turn so both see the same machine."""
import time

from contactapi import accounts, keys
from contactapi.extensions import db

from .inprocess import migrated_app

ROUNDS, N = 5, 400


def main():
    app = migrated_app()
    with app.app_context():
        account = accounts.get_or_create_account("o@example.com")
        raws = {notify: keys.create_key(account, "secret", notify=notify)[1] for notify in (True, False)}
        db.session.remove()
    client = app.test_client()
    counter = [0]

    def post(raw):
        counter[0] += 1
        return client.post("/v1/contacts", json={"email": f"n{counter[0]}@bench.example", "name": "Ada", "plan": "pro"},
                           headers={"Authorization": f"Bearer {raw}"})

    best = {True: None, False: None}
    for _ in range(ROUNDS):
        for notify, raw in raws.items():
            start = time.process_time()
            for _ in range(N):
                assert post(raw).status_code == 201
            spent = (time.process_time() - start) / N * 1e6
            best[notify] = spent if best[notify] is None else min(best[notify], spent)
    print(f"POST new, notify on: {best[True]:.0f} µs CPU/request; notify off: {best[False]:.0f} µs; "
          f"the notification adds {best[True] - best[False]:.0f} µs")


if __name__ == "__main__":
    main()
