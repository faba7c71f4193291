"""An account's webhooks: add, list, change, pause, delete, rotate the secret, and read their delivery log.
Plain rules (no request objects): the /v1/webhooks views and the dashboard both call these."""
import base64
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from .. import sealed
from ..database import write_transaction
from ..extensions import db
from ..ids import random_id
from ..models import utcnow
from ..pagination import Cursor, keyset_page
from . import events, outbox, outcomes, safe_http
from .models import Delivery, Webhook

ROTATION_OVERLAP = timedelta(hours=24)  # both secrets sign for this long after a rotation
STATUSES = ("active", "paused")


class WebhookError(ValueError):
    """A refused webhook request: HTTP status, message and error code."""

    def __init__(self, status, message, code):
        super().__init__(message)
        self.status, self.message, self.code = status, message, code


def _not_found(what="webhook"):
    return WebhookError(404, f"No {what} with that id.", "not_found")


def new_secret():
    """A Standard Webhooks secret: whsec_ and 24 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode("ascii")


def _storable(text):
    """Text every database stores: no control characters, valid UTF-8 (no lone surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return not any(ord(character) < 32 or ord(character) == 127 for character in text)


def _checked_url(url):
    if not isinstance(url, str) or len(url) > 2048 or not _storable(url):
        raise WebhookError(400, "url must be a URL of at most 2048 characters", "invalid_url")
    config = current_app.config
    try:
        safe_http.check_url(url, config["WEBHOOK_ALLOW_HTTP"], config["WEBHOOK_ALLOW_PRIVATE"])
    except safe_http.UnsafeTarget as error:
        raise WebhookError(400, str(error), "invalid_url") from None
    return url


def _checked_events(chosen):
    if not isinstance(chosen, list) or not chosen or not all(e in events.EVENTS for e in chosen):
        raise WebhookError(400, f"events must be a non-empty list of: {', '.join(events.EVENTS)}", "invalid_events")
    return list(dict.fromkeys(chosen))


def _checked_description(description):
    if not isinstance(description, str) or len(description) > 200 or not _storable(description):
        raise WebhookError(400, "description must be a string of at most 200 characters", "invalid_description")
    return description


def as_json(webhook):
    """A webhook as the API shows it (never its secret)."""
    return {"id": webhook.id, "url": webhook.url, "events": webhook.events, "description": webhook.description,
            "status": webhook.status, "created_at": _timestamp(webhook.created_at),
            "updated_at": _timestamp(webhook.updated_at)}


def _timestamp(moment):
    return moment.isoformat(timespec="milliseconds") + "Z" if moment else None


def new_webhook_fields(body):
    """The arguments of create() from a request body; WebhookError for any other field."""
    if set(body) - {"url", "events", "description"}:
        raise WebhookError(400, "Only url, events and description can be sent.", "invalid_field")
    return {"url": body.get("url"), "chosen_events": body.get("events"), "description": body.get("description", "")}


def create(account_id, url, chosen_events, description=""):
    """A new webhook; returns (webhook, its secret): the only time the secret is shown."""
    webhook = Webhook(id=random_id("wh_"), account_id=account_id, url=_checked_url(url),
                      events=_checked_events(chosen_events), description=_checked_description(description),
                      status="active")
    secret = new_secret()
    webhook.secret = sealed.seal(secret)
    with write_transaction() as session:
        session.add(webhook)
    return webhook, secret


def list_for(account_id):
    return db.session.scalars(
        select(Webhook).where(Webhook.account_id == account_id).order_by(Webhook.created_at, Webhook.id)
    ).all()


def get(account_id, webhook_id):
    webhook = db.session.get(Webhook, webhook_id, populate_existing=True)
    if webhook is None or webhook.account_id != account_id:
        raise _not_found()
    return webhook


def update(account_id, webhook_id, changes):
    """Change url, events, description or status (active | paused)."""
    if not isinstance(changes, dict) or set(changes) - {"url", "events", "description", "status"}:
        raise WebhookError(400, "Only url, events, description and status can change.", "invalid_field")
    checks = {"url": _checked_url, "events": _checked_events, "description": _checked_description,
              "status": _checked_status}
    values = {name: checks[name](value) for name, value in changes.items()}
    with write_transaction() as session:
        webhook = get(account_id, webhook_id)
        for name, value in values.items():
            setattr(webhook, name, value)
        webhook.updated_at = utcnow()
        session.add(webhook)
    return webhook


def _checked_status(status):
    if status not in STATUSES:
        raise WebhookError(400, "status must be active or paused", "invalid_status")
    return status


def delete(account_id, webhook_id):
    """Delete a webhook and its delivery log."""
    with write_transaction() as session:
        webhook = get(account_id, webhook_id)
        session.execute(outbox.deliveries.delete().where(outbox.deliveries.c.webhook_id == webhook.id))
        session.delete(webhook)


def rotate_secret(account_id, webhook_id):
    """A new secret (returned, shown once); the previous one keeps signing for ROTATION_OVERLAP."""
    secret = new_secret()
    with write_transaction() as session:
        webhook = get(account_id, webhook_id)
        webhook.previous_secret, webhook.previous_secret_until = webhook.secret, utcnow() + ROTATION_OVERLAP
        webhook.secret = sealed.seal(secret)
        webhook.updated_at = utcnow()
        session.add(webhook)
    return webhook, secret


def send_test(account_id, webhook_id):
    """Queue a webhook.test delivery now; returns its id."""
    with write_transaction() as session:
        delivery = events.test_delivery(get(account_id, webhook_id))
        outbox.queue(session, delivery)
    return delivery.id


def delivery_json(row):
    return {"id": row.id, "type": row.topic, "status": row.status, "attempts": row.attempts,
            "next_attempt_at": _timestamp(row.next_attempt_at) if row.status == "pending" else None,
            "last_status": row.last_status, "last_error": row.last_error, "duration_ms": row.last_duration_ms,
            "created_at": _timestamp(row.created_at), "finished_at": _timestamp(row.finished_at)}


def deliveries_page(account_id, webhook_id, cursor=None):
    """The webhook's deliveries newest first, a cursor page: {"data", "has_more"} (InvalidPage for a cursor
    that is not one of its deliveries)."""
    webhook = get(account_id, webhook_id)
    deliveries = Delivery.__table__
    return keyset_page(db.session, deliveries, [deliveries.c.webhook_id == webhook.id], cursor or Cursor(),
                       delivery_json)


def retry(account_id, webhook_id, delivery_id):
    """Queue another attempt of one of the webhook's deliveries now."""
    get(account_id, webhook_id)
    row = db.session.get(Delivery, delivery_id, populate_existing=True)
    if row is None or row.webhook_id != webhook_id:
        raise _not_found("delivery")
    if not outcomes.retry_now(account_id, delivery_id):
        raise WebhookError(409, "This delivery is being sent right now.", "delivery_in_progress")
    db.session.commit()  # end the read snapshot taken before the retry was written
    return delivery_json(db.session.get(Delivery, delivery_id, populate_existing=True))
