"""The outbox: queue deliveries in the caller's transaction and claim due ones (outcomes.py records what each
attempt came to); what it holds about a person (find_for_address, forget_address).

At least once: a row is only finished after its sender returned. A claim moves the row's next_attempt_at
to the end of a lease (DELIVERY_LEASE seconds) and marks it with a lease token, so no other worker takes
it meanwhile (on PostgreSQL the claim also skips rows another claim has locked), and a worker killed
mid-send leaves the row due again when its lease runs out."""
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache

from flask import current_app
from sqlalchemy import bindparam, delete, or_, select, union_all, update
from sqlalchemy.engine import Connection

from .. import driver
from ..database import read_connection, write_connection
from ..ids import random_id
from ..models import utcnow
from ..personal_data import Part, contact_ids, holds_address, holds_any
from .models import Delivery

deliveries = Delivery.__table__
HIGH, NORMAL = 0, 1  # priorities: mail someone waits for (sign-in, key links) goes first

_ANY_DUE = select(deliveries.c.id).where(
    deliveries.c.status == "pending", deliveries.c.next_attempt_at <= bindparam("now")
).limit(1)
_NEXT_DUE = (
    select(deliveries).where(deliveries.c.status == "pending", deliveries.c.next_attempt_at <= bindparam("now"))
    .order_by(deliveries.c.priority, deliveries.c.next_attempt_at).limit(bindparam("p_limit"))
    .with_for_update(skip_locked=True)
)


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
    due_at: datetime | None = None  # when it became due (UTC): how long it has waited


class DeliveryFailed(Exception):
    """An attempt that did not deliver; permanent ones are not retried. status: a webhook's HTTP status."""

    def __init__(self, message, permanent=False, status=None):
        super().__init__(message)
        self.permanent, self.status = permanent, status


_QUEUED = ("id", "account_id", "kind", "topic", "email", "webhook_id", "priority", "payload", "status",
           "attempts", "next_attempt_at", "created_at")
ROWS_PER_INSERT = 50  # queue's statements: one per count of rows up to this, compiled once each


def _row_binds(i):
    """The i-th queued delivery's values, as queued_params names them."""
    return {name: bindparam(f"q{i}_{name}", type_=deliveries.c[name].type) for name in _QUEUED}


@lru_cache(maxsize=ROWS_PER_INSERT)
def insert_of(count):
    """The INSERT of count deliveries, every column given (their values: queued_params): queue's statement, and
    the CTE of a statement that queues deliveries along with its own work (storage.py, on PostgreSQL)."""
    return deliveries.insert().values([_row_binds(i) for i in range(count)])


def insert_where(count, source, *where):
    """insert_of(count), queued only if `where` holds of the row of source (a CTE of one row), for a statement
    that decides as it runs whether its deliveries go (storage.py: only when its contact is new)."""
    rows = [select(*_row_binds(i).values()).select_from(source).where(*where) for i in range(count)]
    return deliveries.insert().from_select(_QUEUED, rows[0] if count == 1 else union_all(*rows))


@lru_cache(maxsize=ROWS_PER_INSERT)
def _queue_statement(count):
    # Every submission queues its notification: straight to the driver (driver.py), one statement for them all.
    return driver.Statement(insert_of(count))


def queued_params(outgoing):
    """The values of insert_of(len(outgoing)) for these deliveries, due now."""
    now, params = utcnow(), {}
    for i, o in enumerate(outgoing):
        params.update({
            f"q{i}_id": o.id, f"q{i}_account_id": o.account_id, f"q{i}_kind": o.kind, f"q{i}_topic": o.topic,
            f"q{i}_email": o.email, f"q{i}_webhook_id": o.webhook_id, f"q{i}_priority": o.priority,
            f"q{i}_payload": o.payload, f"q{i}_status": "pending", f"q{i}_attempts": 0,
            f"q{i}_next_attempt_at": now, f"q{i}_created_at": now,
        })
    return params


def queue(connection, *outgoing):
    """Write the deliveries inside the caller's open transaction (a Connection or a Session)."""
    if not outgoing:
        return
    if not isinstance(connection, Connection):  # a Session
        connection.flush()  # what the session holds first: a delivery may refer to it
        connection = connection.connection()
    for start in range(0, len(outgoing), ROWS_PER_INSERT):
        some = outgoing[start:start + ROWS_PER_INSERT]
        driver.execute(connection, _queue_statement(len(some)), queued_params(some))


def claim_batch(limit):
    """Up to `limit` due deliveries, most urgent first, now held by the caller for DELIVERY_LEASE seconds
    (one write transaction for them all); [] if none is due."""
    now = utcnow()
    with read_connection() as connection:  # idle polls never take SQLite's write lock
        if connection.execute(_ANY_DUE, {"now": now}).first() is None:
            return []
    token = random_id("", 24)
    lease = timedelta(seconds=current_app.config["DELIVERY_LEASE"])
    with write_connection() as connection:
        rows = connection.execute(_NEXT_DUE, {"now": now, "p_limit": limit}).all()
        if not rows:
            return []
        connection.execute(
            update(deliveries).where(deliveries.c.id.in_([row.id for row in rows]))
            .values(next_attempt_at=now + lease, lease_token=token, attempts=deliveries.c.attempts + 1)
        )
    return [Claimed(row.id, row.kind, row.topic, row.payload, row.attempts + 1, token,
                    row.account_id, row.email, row.webhook_id, row.next_attempt_at) for row in rows]


def claim():
    """The most urgent due delivery, now held by the caller for DELIVERY_LEASE seconds; None if none is due."""
    claimed = claim_batch(1)
    return claimed[0] if claimed else None


def forget_address(connection, account_id, email):
    """Delete every delivery of this account concerning this address (pending or done), in the caller's
    transaction: what an erasure of that person needs. Returns how many were deleted."""
    return connection.execute(delete(deliveries).where(_about(connection, account_id, email))).rowcount


def _about(connection, account_id, email):
    """The account's deliveries queued about the address: to it, answering to it (a notification's Reply-To,
    when the sender gave it as the address to reply to) or naming its contact's id (a notification queued
    before a PATCH changed the contact's email is about the same person)."""
    return (deliveries.c.account_id == account_id) & or_(
        deliveries.c.email == email, holds_address(deliveries.c.payload, email, under="Reply-To"),
        holds_any(deliveries.c.payload, contact_ids(connection, account_id, email)))


def find_for_address(connection, account_id, email):
    """This account's deliveries concerning the address, for a person's access request (sealed mails carry
    a working link, so only their existence is shown)."""
    rows = connection.execute(select(deliveries).where(_about(connection, account_id, email))
                              .order_by(deliveries.c.created_at, deliveries.c.id))
    return [{"id": row.id, "kind": row.kind, "type": row.topic, "status": row.status,
             "created_at": row.created_at.isoformat(timespec="milliseconds") + "Z",
             **({} if "sealed" in row.payload else {"payload": row.payload})} for row in rows]


PERSONAL_DATA = Part("deliveries", ("deliveries",), find_for_address, forget_address)
