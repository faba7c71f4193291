"""How many key-request and sign-in mails one inbox may get (RATELIMIT_KEY_REQUEST_EMAIL, e.g. 5/hour).

Counted in the database, one row per inbox and window, so the count is exact across workers and hosts
without Redis; the +tag and case of an address do not make a new inbox."""
import hashlib
import time
from datetime import datetime, timezone

from flask import current_app
from limits import parse
from sqlalchemy import delete

from .addresses import inbox
from .database import insert_statement, write_transaction
from .models import MailCount

COUNTS = MailCount.__table__


def _window_start(seconds):
    """The start of the fixed window of this length that now falls in (as the rate limiter counts)."""
    now = int(time.time())
    return datetime.fromtimestamp(now - now % seconds, timezone.utc).replace(tzinfo=None)


def spend(email):
    """Count one mail to email's inbox; True if it may go, False when the inbox has had its share."""
    limit = parse(current_app.config["RATELIMIT_KEY_REQUEST_EMAIL"])
    window_start = _window_start(limit.get_expiry())
    digest = hashlib.sha256(inbox(email).encode("utf-8")).hexdigest()  # no address is kept for counting
    # One statement both creates and increments, atomically, whichever worker or host runs it.
    count = insert_statement(COUNTS).values(inbox=digest, window_start=window_start, sent=1)
    count = count.on_conflict_do_update(index_elements=["inbox", "window_start"],
                                        set_={"sent": COUNTS.c.sent + 1}).returning(COUNTS.c.sent)
    with write_transaction() as session:
        session.execute(delete(MailCount).where(MailCount.window_start < window_start))  # past windows
        sent = session.execute(count).scalar_one()
    return sent <= limit.amount
