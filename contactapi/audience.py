"""Who hears of a submission through a key, read in one statement in the submission's own transaction
(storage.upsert's `then`): the account's active webhooks and the events each wants, the key's confirmed
extra recipients, and whether the key has an enabled autoresponder. One round trip instead of three on
every post (PostgreSQL), run on the driver (driver.py)."""
from dataclasses import dataclass

from sqlalchemy import String, bindparam, column, literal_column, null, select, union_all

from . import driver
from .deliveries.models import Webhook
from .models import Autoresponder, JSONField, NotificationRecipient

webhooks, recipients, autoresponders = Webhook.__table__, NotificationRecipient.__table__, Autoresponder.__table__


@dataclass(frozen=True)
class Audience:
    webhooks: tuple = ()      # (webhook id, the events it wants) for each active webhook of the account
    recipients: tuple = ()    # the key's confirmed extra recipients
    autoresponder: bool = False  # the key has an enabled autoresponder (autoresponders/sending.py reads it)


def _part(kind, value, events, *where):
    return select(literal_column(f"'{kind}'").label("kind"), value.label("value"), events.label("events")).where(*where)


_AUDIENCE = driver.Statement(
    union_all(
        _part("webhook", webhooks.c.id, webhooks.c.events,
              webhooks.c.account_id == bindparam("p_account"), webhooks.c.status == "active"),
        _part("recipient", recipients.c.email, null(),
              recipients.c.key_id == bindparam("p_key"), recipients.c.confirmed_at.is_not(None)),
        _part("autoresponder", autoresponders.c.key_id, null(),
              autoresponders.c.key_id == bindparam("p_key"), autoresponders.c.enabled.is_(True)),
    ),
    columns=[column("kind", String), column("value", String), column("events", JSONField)],
)


def of_key(connection, account_id, key_id):
    """The Audience of a submission through key_id (None: a submission without a key) of account_id."""
    rows = driver.execute(connection, _AUDIENCE, {"p_account": account_id, "p_key": key_id})
    return Audience(
        webhooks=tuple((row["value"], tuple(row["events"])) for row in rows if row["kind"] == "webhook"),
        recipients=tuple(row["value"] for row in rows if row["kind"] == "recipient"),
        autoresponder=any(row["kind"] == "autoresponder" for row in rows),
    )
