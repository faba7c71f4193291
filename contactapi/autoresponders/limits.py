"""The abuse limits of autoresponses, counted in the database inside the submission's transaction, so they
hold across every worker and host: one per address per account per 24 h, AUTORESPONDER_IP_HOURLY_LIMIT per
client IP per hour, AUTORESPONDER_DAILY_LIMIT per account and AUTORESPONDER_INSTANCE_DAILY_LIMIT per instance
per 24 h.

On PostgreSQL a transaction-scoped advisory lock makes count-then-insert one step for the whole instance
(concurrent submissions would otherwise both see room for the last one); SQLite writers are already one at
a time. The lock is taken only for submissions that would get an autoresponse, late in their transaction."""
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from ..database import take_turn
from ..digests import keyed_digest
from ..ids import random_id
from .models import Autoresponse

autoresponses = Autoresponse.__table__
DAY, HOUR = timedelta(hours=24), timedelta(hours=1)
_LIMITS_TURN = 7312026012  # the turn counters take (database.take_turn)


def client_digest(client_ip):
    return keyed_digest("autoresponse-client", client_ip) if client_ip else None


def _count(connection, since, *where):
    query = select(func.count()).select_from(autoresponses).where(autoresponses.c.created_at > since, *where)
    return connection.execute(query).scalar()


def refusal(connection, account_id, address_digest, client, now):
    """Why no autoresponse may go now (a sentence for the log), or None. Holds the instance's lock until the
    transaction ends, so the record() that follows is counted by the next caller."""
    take_turn(connection, _LIMITS_TURN)
    config = current_app.config
    if _count(connection, now - DAY, autoresponses.c.account_id == account_id,
              autoresponses.c.address_digest == address_digest):
        return "this address already got one from this account in the last 24 hours"
    if client and _count(connection, now - HOUR, autoresponses.c.client_digest == client) \
            >= config["AUTORESPONDER_IP_HOURLY_LIMIT"]:
        return f"its client reached AUTORESPONDER_IP_HOURLY_LIMIT ({config['AUTORESPONDER_IP_HOURLY_LIMIT']})"
    if _count(connection, now - DAY, autoresponses.c.account_id == account_id) >= config["AUTORESPONDER_DAILY_LIMIT"]:
        return f"the account reached AUTORESPONDER_DAILY_LIMIT ({config['AUTORESPONDER_DAILY_LIMIT']})"
    if _count(connection, now - DAY) >= config["AUTORESPONDER_INSTANCE_DAILY_LIMIT"]:
        return f"the instance reached AUTORESPONDER_INSTANCE_DAILY_LIMIT ({config['AUTORESPONDER_INSTANCE_DAILY_LIMIT']})"
    return None


def record(connection, account_id, address_digest, client, now):
    """Count one autoresponse, and forget those no limit looks at any more."""
    connection.execute(autoresponses.delete().where(autoresponses.c.created_at <= now - DAY))
    connection.execute(autoresponses.insert().values(id=random_id("ars_"), account_id=account_id,
                                                     address_digest=address_digest, client_digest=client,
                                                     created_at=now))
