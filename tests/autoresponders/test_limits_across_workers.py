"""The limits hold across processes: simultaneous submissions to four gunicorn workers, for twelve accounts
(so no account's own row lock lines them up), spend the instance's daily budget exactly, never more."""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from contactapi import keys
from contactapi.autoresponders import settings
from contactapi.autoresponders.models import Autoresponse
from contactapi.extensions import db
from contactapi.models import Contact
from tests.autoresponders.conftest import SITE, require_challenge, solved_altcha
from tests.deliveries.helpers import deliveries_of
from tests.keyring.helpers import table_count


def _responding_key(app, make_key, owner):
    raw = make_key(owner, kind="publishable", notify=False)
    with app.app_context():
        principal = keys.authenticate(raw)
        settings.save(keys.key_of(principal.account_id, principal.key_id), True, "Hi", "Hello {{ name }}", False)
        db.session.remove()
    require_challenge(app, principal.key_id)
    return raw


@pytest.mark.slow
def test_simultaneous_submissions_to_four_workers_never_pass_the_instance_limit(app, gunicorn, make_key):
    raws = [_responding_key(app, make_key, f"owner{n}@example.com") for n in range(12)]
    base = gunicorn(workers=4, AUTORESPONDERS="on", ALTCHA_COST="20", AUTORESPONDER_INSTANCE_DAILY_LIMIT="5",
                    AUTORESPONDER_IP_HOURLY_LIMIT="1000", DELIVERY_EMBEDDED_WORKERS="0")
    barrier = threading.Barrier(24)

    def get(path):
        answer = requests.get(base + path, headers={"Origin": SITE}, timeout=10)
        return answer.status_code, answer.json()

    def post(n):
        body = {"access_key": raws[n % 12], "email": f"p{n}@example.com", "altcha": solved_altcha(get, raws[n % 12])}
        barrier.wait()
        return requests.post(f"{base}/v1/contacts", json=body, headers={"Origin": SITE}, timeout=60).status_code

    with ThreadPoolExecutor(24) as pool:
        assert list(pool.map(post, range(24))) == [201] * 24
    assert table_count(app, Contact) == 24
    assert table_count(app, Autoresponse) == 5
    assert len(deliveries_of(app, topic="autoresponse")) == 5
