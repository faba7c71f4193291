"""The outbox: queue deliveries in the caller's transaction, claim due ones, record each attempt.

At least once: a row is only finished after its sender returned. A claim moves the row's next_attempt_at
to the end of a lease (DELIVERY_LEASE seconds) and marks it with a lease token, so no other worker takes
it meanwhile (on PostgreSQL the claim also skips rows another claim has locked), and a worker killed
mid-send leaves the row due again when its lease runs out."""
import random
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from sqlalchemy import bindparam, delete, select, update

from ..database import read_connection, write_connection
from ..ids import random_id
from ..models import utcnow
from ..personal_data import Part
from .models import Delivery

deliveries = Delivery.__table__
HIGH, NORMAL = 0, 1  # priorities: mail someone waits for (sign-in, key links) goes first

_ANY_DUE = select(deliveries.c.id).where(
    deliveries.c.status == "pending", deliveries.c.next_attempt_at <= bindparam("now")
).limit(1)
_NEXT_DUE = (
    select(deliveries).where(deliveries.c.status == "pending", deliveries.c.next_attempt_at <= bindparam("now"))
    .order_by(deliveries.c.priority, deliveries.c.next_attempt_at).limit(1)
    .with_for_update(skip_locked=True)
)
_HELD = (deliveries.c.id == bindparam("p_id")) & (deliveries.c.lease_token == bindparam("p_token"))


@dataclass(frozen=True)
class Outgoing:
    """One delivery to queue; its id is stable across attempts (a webhook's webhook-id)."""

    kind: str
    topic: str
    payload: dict
    account_id: int | None = None
    email: str | None = None
    webhook_id: str | None = None
    priority: int = NORMAL
    id: str = field(default_factory=lambda: random_id("msg_"))


@dataclass(frozen=True)
class Claimed:
    """A delivery a worker holds until its lease ends; attempts counts this one."""

    id: str
    kind: str
    topic: str
    payload: dict
    attempts: int
    lease_token: str
    account_id: int | None
    email: str | None
    webhook_id: str | None


class DeliveryFailed(Exception):
    """An attempt that did not deliver; permanent ones are not retried. status: a webhook's HTTP status."""

    def __init__(self, message, permanent=False, status=None):
        super().__init__(message)
        self.permanent, self.status = permanent, status


def queue(connection, *outgoing):
    """Write the deliveries inside the caller's open transaction (a Connection or a Session)."""
    if not outgoing:
        return
    now = utcnow()
    connection.execute(deliveries.insert(), [
        {"id": o.id, "account_id": o.account_id, "kind": o.kind, "topic": o.topic, "email": o.email,
         "webhook_id": o.webhook_id, "priority": o.priority, "payload": o.payload, "status": "pending",
         "attempts": 0, "next_attempt_at": now, "created_at": now}
        for o in outgoing
    ])


def claim():
    """The most urgent due delivery, now held by the caller for DELIVERY_LEASE seconds; None if none is due."""
    now = utcnow()
    with read_connection() as connection:  # idle polls never take SQLite's write lock
        if connection.execute(_ANY_DUE, {"now": now}).first() is None:
            return None
    token = random_id("", 24)
    lease = timedelta(seconds=current_app.config["DELIVERY_LEASE"])
    with write_connection() as connection:
        row = connection.execute(_NEXT_DUE, {"now": now}).first()
        if row is None:
            return None
        connection.execute(
            update(deliveries).where(deliveries.c.id == row.id)
            .values(next_attempt_at=now + lease, lease_token=token, attempts=deliveries.c.attempts + 1)
        )
    return Claimed(row.id, row.kind, row.topic, row.payload, row.attempts + 1, token,
                   row.account_id, row.email, row.webhook_id)


def retry_delay(attempts):
    """Seconds until the next attempt after `attempts` failed ones (with ±20% jitter), None when exhausted."""
    schedule = current_app.config["DELIVERY_RETRY_SCHEDULE"]
    if attempts > len(schedule):
        return None
    return schedule[attempts - 1] * random.uniform(0.8, 1.2)


def _finish(claimed, **values):
    with write_connection() as connection:
        connection.execute(update(deliveries).where(_HELD), {"p_id": claimed.id, "p_token": claimed.lease_token,
                                                             "lease_token": None, **values})


def record_delivered(claimed, duration_ms, status=None):
    _finish(claimed, status="delivered", finished_at=utcnow(), last_error=None, last_status=status,
            last_duration_ms=duration_ms)


def record_failure(claimed, failure, duration_ms):
    """Schedule the next attempt, or mark the delivery failed; returns the seconds until it (None: failed)."""
    delay = None if failure.permanent else retry_delay(claimed.attempts)
    now = utcnow()
    outcome = {"last_error": str(failure)[:1000], "last_status": failure.status, "last_duration_ms": duration_ms}
    if delay is None:
        _finish(claimed, status="failed", finished_at=now, **outcome)
    else:
        _finish(claimed, next_attempt_at=now + timedelta(seconds=delay), **outcome)
    return delay


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


def forget_address(connection, account_id, email):
    """Delete every delivery of this account concerning this address (pending or done), in the caller's
    transaction: what an erasure of that person needs. Returns how many were deleted."""
    return connection.execute(delete(deliveries).where(_about(account_id, email))).rowcount



def _about(account_id, email):
    return (deliveries.c.account_id == account_id) & (deliveries.c.email == email)


def find_for_address(connection, account_id, email):
    """This account's deliveries concerning the address, for a person's access request (sealed mails carry
    a working link, so only their existence is shown)."""
    rows = connection.execute(select(deliveries).where(_about(account_id, email))
                              .order_by(deliveries.c.created_at, deliveries.c.id))
    return [{"id": row.id, "kind": row.kind, "type": row.topic, "status": row.status,
             "created_at": row.created_at.isoformat(timespec="milliseconds") + "Z",
             **({} if "sealed" in row.payload else {"payload": row.payload})} for row in rows]


PERSONAL_DATA = Part("deliveries", ("deliveries",), find_for_address, forget_address)
