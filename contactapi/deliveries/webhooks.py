"""Sending one webhook delivery: signed afresh on every attempt (same webhook-id, new webhook-timestamp)
following Standard Webhooks, with the `standardwebhooks` package; during a rotation both secrets sign."""
import http.client
import json
from datetime import datetime, timezone

from flask import current_app
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook as Signer

from .. import sealed
from ..database import read_connection
from ..models import utcnow
from . import safe_http
from .models import Webhook
from .outbox import DeliveryFailed

webhooks = Webhook.__table__
RETRYABLE_4XX = (408, 429)


def signing_secrets(row, now=None):
    """The raw secrets that sign now: the current one, and the previous one during its overlap."""
    now = now or utcnow()
    secrets = [sealed.unseal(row.secret)]
    if row.previous_secret and row.previous_secret_until and row.previous_secret_until > now:
        secrets.append(sealed.unseal(row.previous_secret))
    return secrets


def signed_headers(row, delivery_id, body):
    """The Standard Webhooks headers for this attempt."""
    now = datetime.now(timezone.utc)
    signature = " ".join(Signer(secret).sign(delivery_id, now, body) for secret in signing_secrets(row))
    return {"content-type": "application/json", "user-agent": "contactapi-webhooks",
            "webhook-id": delivery_id, "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signature}


def send(claimed):
    """POST the event; its HTTP status when 2xx, else DeliveryFailed (final for 4xx but 408 and 429)."""
    with read_connection() as connection:
        row = connection.execute(select(webhooks).where(webhooks.c.id == claimed.webhook_id)).first()
    if row is None:
        raise DeliveryFailed("the webhook was deleted", permanent=True)
    if row.status != "active":
        raise DeliveryFailed("the webhook is paused", permanent=True)
    body = json.dumps(claimed.payload, ensure_ascii=False, separators=(",", ":"))
    config = current_app.config
    try:
        answer = safe_http.post(row.url, body.encode("utf-8"), signed_headers(row, claimed.id, body),
                                allow_http=config["WEBHOOK_ALLOW_HTTP"], allow_private=config["WEBHOOK_ALLOW_PRIVATE"])
    except safe_http.UnsafeTarget as error:
        raise DeliveryFailed(str(error), permanent=True) from None
    except (OSError, http.client.HTTPException) as error:
        raise DeliveryFailed(f"{type(error).__name__}: {error}") from None
    if 200 <= answer.status < 300:
        return answer.status
    final = 400 <= answer.status < 500 and answer.status not in RETRYABLE_4XX
    text = answer.body[:200].decode("utf-8", "replace")
    raise DeliveryFailed(f"HTTP {answer.status}: {text}", permanent=final, status=answer.status)


def describe(claimed):
    return f"webhook {claimed.topic} to {claimed.webhook_id}"
