"""/v1/webhooks (secret key): add, list, read, change, delete, rotate the secret, the delivery log, retry."""
from flask import g, request

from ..deliveries import endpoints
from ..errors import json_error
from ..pagination import InvalidPage, cursor_request
from ..payloads import PayloadError, request_json
from . import bp
from .auth import secret_key_required
from .idempotency import answer_holds_secret, idempotent


def _body():
    return request_json(request)


def _showing_secret(webhook, secret):
    """The webhook with its signing secret: the only answer that shows it (a replay of it is stored sealed)."""
    answer_holds_secret()
    return {**endpoints.as_json(webhook), "secret": secret}


@bp.post("/webhooks")
@secret_key_required
@idempotent
def create_webhook():
    body = _body()
    webhook, secret = endpoints.create(g.principal.account_id, **endpoints.new_webhook_fields(body))
    return _showing_secret(webhook, secret), 201


@bp.get("/webhooks")
@secret_key_required
def list_webhooks():
    return {"data": [endpoints.as_json(w) for w in endpoints.list_for(g.principal.account_id)]}


@bp.get("/webhooks/<webhook_id>")
@secret_key_required
def get_webhook(webhook_id):
    return endpoints.as_json(endpoints.get(g.principal.account_id, webhook_id))


@bp.patch("/webhooks/<webhook_id>")
@secret_key_required
@idempotent
def update_webhook(webhook_id):
    return endpoints.as_json(endpoints.update(g.principal.account_id, webhook_id, _body()))


@bp.delete("/webhooks/<webhook_id>")
@secret_key_required
@idempotent
def delete_webhook(webhook_id):
    endpoints.delete(g.principal.account_id, webhook_id)
    return {"id": webhook_id, "deleted": True}


@bp.post("/webhooks/<webhook_id>/rotate-secret")
@secret_key_required
@idempotent
def rotate_webhook_secret(webhook_id):
    webhook, secret = endpoints.rotate_secret(g.principal.account_id, webhook_id)
    return _showing_secret(webhook, secret)


@bp.get("/webhooks/<webhook_id>/deliveries")
@secret_key_required
def list_webhook_deliveries(webhook_id):
    try:
        cursor = cursor_request(request.args, only_cursor=True)
        return endpoints.deliveries_page(g.principal.account_id, webhook_id, cursor)
    except InvalidPage as error:
        return json_error(400, str(error), "invalid_query")


@bp.post("/webhooks/<webhook_id>/deliveries/<delivery_id>/retry")
@secret_key_required
@idempotent
def retry_webhook_delivery(webhook_id, delivery_id):
    return endpoints.retry(g.principal.account_id, webhook_id, delivery_id)


@bp.errorhandler(endpoints.WebhookError)
def webhook_refused(error):
    return json_error(error.status, error.message, error.code)


@bp.errorhandler(PayloadError)
def bad_webhook_body(error):
    return json_error(error.status, error.message, error.code)
