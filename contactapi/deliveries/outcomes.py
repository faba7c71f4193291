"""What came of each claimed delivery (delivered, retried later, failed, released), and a retry on request."""
import random
from datetime import timedelta

from flask import current_app
from sqlalchemy import bindparam, update

from ..database import write_connection
from ..models import utcnow
from .models import Delivery

deliveries = Delivery.__table__
_HELD = (deliveries.c.id == bindparam("p_id")) & (deliveries.c.lease_token == bindparam("p_token"))


def retry_delay(attempts):
    """Seconds until the next attempt after `attempts` failed ones (with ±20% jitter), None when exhausted."""
    schedule = current_app.config["DELIVERY_RETRY_SCHEDULE"]
    if attempts > len(schedule):
        return None
    return schedule[attempts - 1] * random.uniform(0.8, 1.2)


class Results:
    """What a worker's attempts came to, written in one transaction by record(); each row only while the
    writer still holds its lease (a late answer after the lease ran out and another worker took the row
    changes nothing)."""

    def __init__(self):
        self.delivered, self.retried, self.failed, self.released = [], [], [], []

    def __len__(self):
        return len(self.delivered) + len(self.retried) + len(self.failed) + len(self.released)

    def _held(self, claimed):
        return {"p_id": claimed.id, "p_token": claimed.lease_token}

    def add_delivered(self, claimed, duration_ms, status=None):
        self.delivered.append({**self._held(claimed), "p_status": status, "p_duration": duration_ms})

    def add_failure(self, claimed, failure, duration_ms):
        """Schedule the next attempt, or mark the delivery failed; returns the seconds until it (None: failed)."""
        delay = None if failure.permanent else retry_delay(claimed.attempts)
        outcome = {**self._held(claimed), "p_error": str(failure)[:1000], "p_status": failure.status,
                   "p_duration": duration_ms}
        if delay is None:
            self.failed.append(outcome)
        else:
            self.retried.append({**outcome, "p_next": utcnow() + timedelta(seconds=delay)})
        return delay

    def add_released(self, claimed):
        """Not attempted after all (the worker is stopping, or its lease is too short for one more): due again now."""
        self.released.append(self._held(claimed))


_FINISH = update(deliveries).where(_HELD)


_OUTCOME = {"last_status": bindparam("p_status"), "last_duration_ms": bindparam("p_duration")}
_FAILURE = {**_OUTCOME, "last_error": bindparam("p_error")}


def record(results):
    """Write every result in one transaction."""
    if not len(results):
        return
    now = utcnow()
    with write_connection() as connection:
        if results.delivered:
            connection.execute(_FINISH.values(status="delivered", finished_at=now, last_error=None, lease_token=None,
                                              **_OUTCOME), results.delivered)
        if results.failed:
            connection.execute(_FINISH.values(status="failed", finished_at=now, lease_token=None, **_FAILURE),
                               results.failed)
        if results.retried:
            connection.execute(_FINISH.values(next_attempt_at=bindparam("p_next"), lease_token=None, **_FAILURE),
                               results.retried)
        if results.released:
            connection.execute(_FINISH.values(next_attempt_at=now, lease_token=None,
                                              attempts=deliveries.c.attempts - 1), results.released)


def record_delivered(claimed, duration_ms, status=None):
    """Record one delivery as delivered, on its own."""
    results = Results()
    results.add_delivered(claimed, duration_ms, status)
    record(results)


def retry_now(account_id, delivery_id):
    """Queue another attempt of a finished (or waiting, not held) delivery now; False if there is none to retry."""
    if account_id is None:  # only an account's own deliveries are retried on request
        return False
    now = utcnow()
    with write_connection() as connection:
        changed = connection.execute(
            update(deliveries).where(
                deliveries.c.id == delivery_id, deliveries.c.account_id == account_id,
                (deliveries.c.status != "pending") | (deliveries.c.next_attempt_at <= now)
                | deliveries.c.lease_token.is_(None),
            ).values(status="pending", next_attempt_at=now, finished_at=None, lease_token=None)
        ).rowcount
    return changed == 1
