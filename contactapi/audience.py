"""Who hears of a submission through a key, read in the submission's own transaction (storage.upsert hands it
to its `then`): the account's active webhooks and the events each wants, the key's confirmed extra recipients,
and whether the key has an enabled autoresponder.

On PostgreSQL it is three columns of the upsert's own statement (columns(), read by from_row): no round trip of
its own. The webhooks are read as events.LISTENING reads them, locked FOR KEY SHARE, so a webhook deleted
meanwhile waits for the submission (and takes its deliveries with it) instead of failing its outbox insert.
SQLite (no round trips, one writer at a time) reads it in one statement of its own (of_key)."""
from dataclasses import dataclass

from sqlalchemy import Boolean, String, bindparam, column, exists, func, literal_column, null, select, union_all

from . import driver
from .autoresponders.models import Autoresponder
from .deliveries import events
from .deliveries.models import Webhook
from .models import JSONField, NotificationRecipient

webhooks, recipients, autoresponders = Webhook.__table__, NotificationRecipient.__table__, Autoresponder.__table__


@dataclass(frozen=True)
class Audience:
    webhooks: tuple = ()      # (webhook id, the events it wants) for each active webhook of the account
    recipients: tuple = ()    # the key's confirmed extra recipients
    autoresponder: bool = False  # the key has an enabled autoresponder (autoresponders/sending.py reads it)


_ACTIVE = (webhooks.c.account_id == bindparam("p_account"), webhooks.c.status == "active")
_CONFIRMED = (recipients.c.key_id == bindparam("p_key"), recipients.c.confirmed_at.is_not(None))
_RESPONDS = (autoresponders.c.key_id == bindparam("p_key"), autoresponders.c.enabled.is_(True))


def _part(kind, value, events, *where):
    return select(literal_column(f"'{kind}'").label("kind"), value.label("value"), events.label("events")).where(*where)


_AUDIENCE = driver.Statement(
    union_all(
        _part("webhook", webhooks.c.id, webhooks.c.events, *_ACTIVE),
        _part("recipient", recipients.c.email, null(), *_CONFIRMED),
        _part("autoresponder", autoresponders.c.key_id, null(), *_RESPONDS),
    ),
    columns=[column("kind", String), column("value", String), column("events", JSONField)],
)

COLUMNS = (column("heard_webhooks", JSONField), column("heard_recipients", JSONField),
           column("heard_autoresponder", Boolean))


def columns():
    """The Audience of the submission through p_key of p_account as COLUMNS, for a statement of other work."""
    listening = events.LISTENING.subquery()
    return (
        select(func.json_agg(func.json_build_array(listening.c.id, listening.c.events)))
        .scalar_subquery().label("heard_webhooks"),
        select(func.json_agg(recipients.c.email)).where(*_CONFIRMED).scalar_subquery().label("heard_recipients"),
        exists().where(*_RESPONDS).label("heard_autoresponder"),
    )


def from_row(row):
    """The Audience in a row holding COLUMNS (json_agg gives NULL, not [], when nobody listens)."""
    return Audience(
        webhooks=tuple((webhook_id, tuple(events)) for webhook_id, events in row["heard_webhooks"] or ()),
        recipients=tuple(row["heard_recipients"] or ()),
        autoresponder=row["heard_autoresponder"],
    )


def of_key(connection, account_id, key_id):
    """The Audience of a submission through key_id (None: a submission without a key) of account_id."""
    rows = driver.execute(connection, _AUDIENCE, {"p_account": account_id, "p_key": key_id})
    return Audience(
        webhooks=tuple((row["value"], tuple(row["events"])) for row in rows if row["kind"] == "webhook"),
        recipients=tuple(row["value"] for row in rows if row["kind"] == "recipient"),
        autoresponder=any(row["kind"] == "autoresponder" for row in rows),
    )
