"""When each key was last used (api_keys.last_used_at), written in batches: a request pays for that write once
a minute per worker, not once a minute per key, and never fails because of it."""
import threading
import time
from datetime import timedelta

from flask import current_app
from sqlalchemy import bindparam, update
from sqlalchemy.exc import SQLAlchemyError

from .database import write_transaction
from .models import ApiKey, utcnow

LAST_USED_RESOLUTION = timedelta(minutes=1)  # each worker writes last_used_at at most this often
_WRITE_LAST_USE = (update(ApiKey.__table__).where(ApiKey.__table__.c.id == bindparam("p_id"))
                   .values(last_used_at=bindparam("p_when")))


class LastUses:
    """The keys this worker saw in use, and when, written in one batch at most once per LAST_USED_RESOLUTION."""

    def __init__(self):
        self.lock = threading.Lock()
        self.seen = {}
        self.next_write = 0.0  # time.monotonic() from which the batch may be written

    def saw(self, key_id):
        with self.lock:
            self.seen[key_id] = utcnow()

    def take_when_due(self):
        """The batch to write ({key id: when}), or {} when the last write is too recent (or nothing is new)."""
        if time.monotonic() < self.next_write:  # the common case, decided without the lock (checked again in it)
            return {}
        with self.lock:
            if time.monotonic() < self.next_write or not self.seen:
                return {}
            self.next_write = time.monotonic() + LAST_USED_RESOLUTION.total_seconds()
            batch, self.seen = self.seen, {}
            return batch

    def put_back(self, batch):
        """A batch that could not be written: its uses are written with the next one (the later of two uses)."""
        with self.lock:
            for key_id, when in batch.items():
                self.seen[key_id] = max(when, self.seen.get(key_id, when))


def write_when_due(last_uses):
    """Write the batch of last uses, if one is due: one UPDATE per key in one transaction, keys in id order.

    Every worker locks the keys in that one order: two batches locking the same keys in opposite orders
    deadlocked on PostgreSQL. A write that fails anyway is logged and its batch goes back for the next one:
    the request that happened to carry it still gets its answer."""
    batch = last_uses.take_when_due()
    if not batch:
        return
    rows = [{"p_id": key_id, "p_when": when} for key_id, when in sorted(batch.items())]
    try:
        with write_transaction() as session:
            # Core, not the ORM's bulk update by primary key: a key deleted since it was used matches no row,
            # which the ORM would take for an error (StaleDataError) and fail the whole batch, every time.
            session.execute(_WRITE_LAST_USE, rows)
    except SQLAlchemyError:
        current_app.logger.warning("Could not write when %d keys were last used; trying again with the next batch",
                                   len(rows), exc_info=True)
        last_uses.put_back(batch)
