"""Webhook events: which of an account's webhooks want an event, and the deliveries that carry it to them.
Called inside the transaction that changed the contact, so an event exists exactly when its change does."""
from datetime import datetime, timezone

from sqlalchemy import bindparam, select

from .models import Webhook
from .outbox import Outgoing, queue

EVENTS = ("submission.created", "contact.created", "contact.updated", "contact.deleted", "contact.confirmed")
TEST_EVENT = "webhook.test"

webhooks = Webhook.__table__
# The account's active webhooks, locked FOR KEY SHARE (the lock the outbox's foreign key takes anyway on a
# webhook it queues for, taken at the read instead of after it): a webhook deleted meanwhile waits for the
# write that queues for it (and takes those deliveries with it) instead of failing the write's outbox insert.
# Every write that queues events reads them so: here, and in the upsert's statement (audience.py).
LISTENING = select(webhooks.c.id, webhooks.c.events).where(
    webhooks.c.account_id == bindparam("p_account"), webhooks.c.status == "active"
).with_for_update(read=True, key_share=True)


def envelope(event_type, data):
    """The body every receiver gets: {"type", "timestamp", "data"}."""
    now = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {"type": event_type, "timestamp": now, "data": data}


def _listening(connection, account_id):
    return connection.execute(LISTENING, {"p_account": account_id}).all()


def _outgoing(listening, account_id, event_type, data):
    """One webhook delivery per listening webhook ((id, events) pairs) that subscribed to event_type."""
    wanted = [webhook_id for webhook_id, events in listening if event_type in events]
    if not wanted:
        return []
    body = envelope(event_type, data)
    email = data.get("email") or data.get("contact", {}).get("email")
    return [Outgoing("webhook", event_type, body, account_id=account_id, email=email, webhook_id=webhook_id)
            for webhook_id in wanted]


def queue_event(connection, account_id, event_type, data):
    """Queue event_type for every active webhook of the account that subscribed to it."""
    queue(connection, *_outgoing(_listening(connection, account_id), account_id, event_type, data))


def for_submission(listening, account_id, contact, created, fields, key_id, submission_id):
    """submission.created (the contact as stored, the submission as sent, the key id), then contact.created
    or contact.updated, for the account's listening webhooks (audience.py)."""
    if not listening:
        return []
    sent = {"id": submission_id, "fields": {"email": contact["email"], **fields}}
    submission = {"contact": contact, "submission": sent, "key_id": key_id}
    return (_outgoing(listening, account_id, "submission.created", submission)
            + _outgoing(listening, account_id, "contact.created" if created else "contact.updated", contact))


def test_delivery(webhook):
    """A webhook.test delivery for one webhook (the dashboard's "send a test")."""
    body = envelope(TEST_EVENT, {"webhook_id": webhook.id, "message": "A test delivery from contactapi."})
    return Outgoing("webhook", TEST_EVENT, body, account_id=webhook.account_id, webhook_id=webhook.id)
