"""Two gunicorn instances, as two hosts behind a load balancer would run them: one PostgreSQL database and
one Redis shared. Concurrent posts for the same addresses through both must behave as through one, and a
key's rate limit must be spent once across both, not once per instance."""
import os
from concurrent.futures import ThreadPoolExecutor
from itertools import cycle

import pytest
import requests
from sqlalchemy import func, select

from contactapi.extensions import db
from contactapi.models import Contact, Submission

DATABASE_URL = os.environ.get("TEST_DATABASE_URL") or ""
REDIS_URL = os.environ.get("TEST_REDIS_URL")
pytestmark = pytest.mark.skipif(
    not (DATABASE_URL.startswith("postgresql") and REDIS_URL),
    reason="scale-out runs only on PostgreSQL with Redis: set TEST_DATABASE_URL=postgresql+psycopg://… "
           "and TEST_REDIS_URL=redis://…",
)

ADDRESSES = [f"person{n}@scale.example" for n in range(12)]
POSTS_PER_ADDRESS_PER_INSTANCE = 5
HIGH = "1000000/minute"


def two_instances(gunicorn, **limits):
    """Base URLs of two separate gunicorn servers sharing the test database and Redis."""
    env = {"RATELIMIT_STORAGE_URI": REDIS_URL, "GUNICORN_ACCESS_LOG": "", **limits}
    return gunicorn(workers=2, **env), gunicorn(workers=2, **env)


def _post(base, key, payload):
    response = requests.post(f"{base}/v1/contacts", json=payload, headers={"Authorization": f"Bearer {key}"},
                             timeout=30)
    return response.status_code, response.headers, response.json()


def test_concurrent_posts_through_two_instances_keep_everything(gunicorn, make_key, app):
    instance_a, instance_b = two_instances(
        gunicorn, RATELIMIT_SECRET_KEY=HIGH, RATELIMIT_PUBLIC_KEY=HIGH, RATELIMIT_PUBLIC_IP=HIGH
    )
    key = make_key("scale@example.com")
    # Every post sends a field of its own (so an overwrite would show as a missing field) and one shared.
    jobs = [
        (base, {"email": email.upper() if base == instance_b else email, f"{name}_{n}": n, "last": name})
        for email in ADDRESSES
        for n in range(POSTS_PER_ADDRESS_PER_INSTANCE)
        for base, name in ((instance_a, "a"), (instance_b, "b"))
    ]
    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(lambda job: _post(job[0], key, job[1]), jobs))
        # Reads through both instances at the same time as writes, as a mixed load would.
        reads = list(pool.map(
            lambda base: requests.get(f"{base}/v1/contacts", headers={"Authorization": f"Bearer {key}"},
                                      timeout=30).status_code,
            [instance_a, instance_b] * 10,
        ))

    statuses = [status for status, _headers, _body in answers]
    assert all(status in (200, 201) for status in statuses), sorted(set(statuses))
    assert set(reads) == {200}
    assert statuses.count(201) == len(ADDRESSES)  # one creation per address, whichever instance won
    with app.app_context():
        rows = db.session.execute(select(Contact.id, Contact.email, Contact.fields)).all()
        assert sorted(email for _id, email, _fields in rows) == sorted(ADDRESSES)  # one contact per address
        for contact_id, email, fields in rows:
            sent = [payload for _base, payload in jobs if payload["email"].lower() == email]
            for payload in sent:  # every field any post sent is kept
                for name, value in payload.items():
                    if name not in ("email", "last"):
                        assert fields[name] == value, (email, name)
            assert fields["last"] in ("a", "b")
            kept = db.session.execute(select(Submission.fields).where(Submission.contact_id == contact_id)).scalars()
            assert sorted(map(str, kept)) == sorted(str({**p, "email": email}) for p in sent)
        db.session.remove()


def test_a_keys_rate_limit_is_spent_once_across_instances(gunicorn, make_key, app):
    limit = 50
    instance_a, instance_b = two_instances(gunicorn, RATELIMIT_SECRET_KEY=f"{limit}/minute")
    key = make_key("limited@example.com")
    bases = cycle([instance_a, instance_b])
    jobs = [(next(bases), {"email": f"n{n}@limit.example"}) for n in range(2 * limit + 20)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda job: _post(job[0], key, job[1]), jobs))

    statuses = [status for status, _headers, _body in answers]
    assert not [status for status in statuses if status >= 500]
    assert statuses.count(201) == limit  # not twice the limit: both instances count in one Redis bucket
    refused = [(headers, body) for status, headers, body in answers if status == 429]
    assert len(refused) == len(jobs) - limit
    assert all(int(headers["Retry-After"]) > 0 for headers, _body in refused)
    assert all(body["error"]["code"] for _headers, body in refused)
    with app.app_context():
        stored = db.session.scalar(select(func.count()).select_from(Contact))
        db.session.remove()
    assert stored == limit  # a refused post stored nothing
