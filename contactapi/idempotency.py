"""Idempotency keys (as Stripe has them): a write sent again with the same key is done once, and its first
answer is replayed for 24 hours.

Why a state machine and not one transaction: the work runs in the domain's own transactions (storage.upsert,
patch, remove, people.erase), which know nothing of HTTP. Writing the answer inside them would need every
write rule to take an outside connection. Instead a key moves through states, each change committed on its own:

    (none) ──claim──▶ in_progress ──complete──▶ complete (replayed until 24 h after the claim)
                           │
                           └──release (the work failed or was refused: nothing done, a retry may do it)

A request that finds the key in_progress gets 409 `idempotency_key_in_use`. If the worker holding it died
(killed, timed out), its claim lapses after LEASE and the next retry takes the key over and does the work.
The one window left is a worker dying after its work committed but before the answer was stored: a retry
after the lease then repeats the work (an upsert: the same contact, one more submission row). That is
milliseconds, and far better than keys stuck in_progress for a day.

An erasure (people.py) deletes the answers that hold the address, but cannot read an answer not yet written:
work that committed before the erasure may complete() after it. So the erasure writes the digest of the
address on every in-progress row of the account (its body, empty until complete), and complete() forgets
the key instead of storing an answer that holds an address erased while it ran. The two take the row's lock,
so one of them sees what the other did.
"""
import json
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, or_, select, update

from . import sealed
from .addresses import InvalidEmail, normalise_email, spellings
from .database import insert_statement, write_connection
from .digests import keyed_digests
from .ids import random_id
from .contacts import timestamp
from .models import IdempotentRequest, utcnow
from .payloads import strings_in
from .personal_data import Part, address_digest, contact_ids, holds_address, holds_any

RETENTION = timedelta(hours=24)
LEASE = timedelta(seconds=60)  # longer than gunicorn's 30 s worker timeout
MAX_KEY_LENGTH = 255
REPLAYED_HEADERS = ("Content-Type", "Location")
SEALED_BODY = "sealed:"  # the stored body that follows is sealed (sealed.py); a JSON answer never starts so
ERASED_WHILE_RUNNING = "erased:"  # an in-progress row's body: the digests of addresses erased since its claim

requests = IdempotentRequest.__table__


class IdempotencyError(Exception):
    """An Idempotency-Key the request may not use now; status and code say why."""

    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def key_in_use():
    return IdempotencyError(409, "idempotency_key_in_use",
                            "A request with this Idempotency-Key is still being processed. Retry shortly.")


def key_reused():
    return IdempotencyError(422, "idempotency_key_reused",
                            "This Idempotency-Key was already used with a different request.")


@dataclass(frozen=True)
class Claim:
    """This request holds the key: it must complete() or release() it."""

    row_id: int
    token: str


@dataclass(frozen=True)
class StoredAnswer:
    """The first answer given for this key, to replay."""

    status: int
    headers: dict
    body: str


def check_key(value):
    """The Idempotency-Key header's value, or IdempotencyError 400 when it is empty, too long or not ASCII."""
    if not value or len(value) > MAX_KEY_LENGTH or not value.isascii() or not value.isprintable():
        raise IdempotencyError(400, "invalid_idempotency_key",
                               f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable ASCII characters.")
    return value


def fingerprints(method, path, media_type, body):
    """What makes two requests "the same request": method, path, media type and body bytes, as keyed digests
    under SECRET_KEY (the one stored) and each fallback (a retry across a rotation is still the same request)."""
    head = f"{method}\n{path}\n{media_type}\n".encode("utf-8")
    return keyed_digests("idempotency-request", head + body)


def begin(account_id, key_id, idempotency_key, request_fingerprints):
    """Claim the key for this request (Claim), or the answer to replay (StoredAnswer); IdempotencyError if
    another request holds it (409) or it was used for a different request (422). Prunes the account's
    expired answers on the way."""
    now = utcnow()
    token = random_id("", 24)
    with write_connection() as connection:
        connection.execute(delete(requests).where(
            requests.c.account_id == account_id, requests.c.created_at < now - RETENTION))
        row = connection.execute(select(requests).where(
            requests.c.key_id == key_id, requests.c.idempotency_key == idempotency_key).with_for_update()).first()
        if row is None:
            inserted = connection.execute(insert_statement(requests).values(
                account_id=account_id, key_id=key_id, idempotency_key=idempotency_key,
                fingerprint=request_fingerprints[0], state="in_progress", claim=token, locked_until=now + LEASE,
                created_at=now,
            ).on_conflict_do_nothing().returning(requests.c.id)).first()
            if inserted is None:  # PostgreSQL: a concurrent request inserted it after our SELECT
                raise key_in_use()
            return Claim(inserted.id, token)
        if row.fingerprint not in request_fingerprints:
            raise key_reused()
        if row.state == "complete":
            return StoredAnswer(row.status, row.headers or {}, _opened(row.body or ""))
        if row.locked_until > now:
            raise key_in_use()
        # The worker that held the key is gone (its lease lapsed): this retry does the work.
        connection.execute(update(requests).where(requests.c.id == row.id).values(
            claim=token, locked_until=now + LEASE))
        return Claim(row.id, token)


def complete(claim, status, headers, body, holds_secret=False):
    """Store the answer for replays. A claim taken over meanwhile is not overwritten (the row names its holder).

    holds_secret: the answer shows a secret once (a webhook's signing secret), so it is stored sealed: the
    replay must give it again, but the table must not keep it readable (webhook secrets are sealed too)."""
    stored = SEALED_BODY + sealed.seal(body) if holds_secret else body
    mine = (requests.c.id == claim.row_id) & (requests.c.claim == claim.token)
    with write_connection() as connection:
        # Locked, so an erasure either waits for the answer (and deletes it) or marks the row first (see above).
        row = connection.execute(select(requests.c.body, requests.c.idempotency_key).where(mine)
                                 .with_for_update()).first()
        if row is None:
            return
        if _erased_while_running(row.body) & _address_digests(body, row.idempotency_key):
            connection.execute(delete(requests).where(mine))  # as the erasure forgets a stored answer
            return
        connection.execute(update(requests).where(mine).values(
            state="complete", claim=None, locked_until=None, status=status, headers=headers, body=stored))


def _erased_while_running(in_progress_body):
    """The digests an erasure wrote on an in-progress row (ERASED_WHILE_RUNNING)."""
    if not (in_progress_body or "").startswith(ERASED_WHILE_RUNNING):
        return set()
    return set(in_progress_body[len(ERASED_WHILE_RUNNING):].split())


def _address_digests(answer, idempotency_key):
    """The digests of the addresses an answer holds (any JSON string that is one) and of the key, if it is one:
    what the erasure matches (_holding)."""
    try:
        texts = [idempotency_key, *strings_in(json.loads(answer))]
    except ValueError:
        texts = [idempotency_key, answer]
    digests = set()
    for text in texts:
        if "@" in text:
            try:
                digests.add(address_digest(normalise_email(text)))
            except InvalidEmail:
                continue
    return digests


def _opened(body):
    """A stored answer's body as it was given (sealed.Unreadable if SECRET_KEY changed without fallbacks)."""
    return sealed.unseal(body[len(SEALED_BODY):]) if body.startswith(SEALED_BODY) else body


def release(claim):
    """Forget the key: the request did nothing, so a retry with it may do the work."""
    with write_connection() as connection:
        connection.execute(delete(requests).where(requests.c.id == claim.row_id, requests.c.claim == claim.token))


def prune(now=None):
    """Delete every answer older than RETENTION; the number deleted."""
    cutoff = (now or utcnow()) - RETENTION
    with write_connection() as connection:
        return connection.execute(delete(requests).where(requests.c.created_at < cutoff)).rowcount


def _holding(connection, account_id, email):
    """The account's stored requests whose answer holds the address or its contact's id (the answer may name the
    address the contact had before a PATCH), or whose key is the address."""
    return (requests.c.account_id == account_id) & or_(
        holds_address(requests.c.body, email), func.lower(requests.c.idempotency_key).in_(spellings(email)),
        holds_any(requests.c.body, contact_ids(connection, account_id, email)))


def _find(connection, account_id, email):
    rows = connection.execute(select(requests).where(_holding(connection, account_id, email))
                              .order_by(requests.c.id)).all()
    return [{"idempotency_key": r.idempotency_key, "key_id": r.key_id, "state": r.state, "status": r.status,
             "body": r.body, "created_at": timestamp(r.created_at)} for r in rows]


def _erase(connection, account_id, email):
    """Delete the answers holding the address; mark the requests still running (see the module's docstring)."""
    connection.execute(update(requests).where(requests.c.account_id == account_id, requests.c.state == "in_progress")
                       .values(body=func.coalesce(requests.c.body, ERASED_WHILE_RUNNING)
                               + " " + address_digest(email)))
    return connection.execute(delete(requests).where(_holding(connection, account_id, email))).rowcount


PERSONAL_DATA = Part("idempotent_requests", ("idempotent_requests",), _find, _erase)
