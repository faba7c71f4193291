"""Dashboard: the signed-in account's webhooks — add, send a test, pause/resume, delete, the log, retry."""
from flask import abort, flash, g, redirect, render_template, request, url_for

from ..deliveries import endpoints
from ..pagination import Cursor, InvalidPage
from . import bp
from .forms import WebhookForm
from .signin import account_required


def _own_webhook(webhook_id):
    """The signed-in account's webhook; 404 for any other id."""
    try:
        return endpoints.get(g.account.id, webhook_id)
    except endpoints.WebhookError:
        abort(404)


def _back_to(webhook_id):
    return redirect(url_for("keyring.webhook_page", webhook_id=webhook_id), 303)


def _render_list(form, status=200, secret=None, created=None):
    return render_template("keyring/webhooks.html", webhooks=endpoints.list_for(g.account.id), form=form,
                           secret=secret, created=created), status


@bp.get("/dashboard/webhooks")
@account_required
def webhooks_page():
    return _render_list(WebhookForm())


@bp.post("/dashboard/webhooks")
@account_required
def create_webhook():
    form = WebhookForm()
    if not form.validate():
        return _render_list(form, 400)
    try:
        webhook, secret = endpoints.create(g.account.id, form.url.data.strip(), form.events.data, form.description.data)
    except endpoints.WebhookError as error:
        form.url.errors.append(error.message) if error.code == "invalid_url" else form.form_errors.append(error.message)
        return _render_list(form, 400)
    return _render_list(WebhookForm(formdata=None), 201, secret=secret, created=webhook)


@bp.get("/dashboard/webhooks/<webhook_id>")
@account_required
def webhook_page(webhook_id):
    webhook = _own_webhook(webhook_id)
    try:
        log = endpoints.deliveries_page(g.account.id, webhook.id, Cursor(starting_after=request.args.get("after") or None))
    except (endpoints.WebhookError, InvalidPage):
        abort(404)
    return render_template("keyring/webhook.html", webhook=webhook, log=log)


@bp.post("/dashboard/webhooks/<webhook_id>/test")
@account_required
def test_webhook(webhook_id):
    endpoints.send_test(g.account.id, _own_webhook(webhook_id).id)
    flash("A test event is on its way; its attempt appears in the log below.")
    return _back_to(webhook_id)


@bp.post("/dashboard/webhooks/<webhook_id>/status")
@account_required
def set_webhook_status(webhook_id):
    status = request.form.get("status")
    if status not in endpoints.STATUSES:
        abort(400, "status must be active or paused")
    endpoints.update(g.account.id, _own_webhook(webhook_id).id, {"status": status})
    flash("Webhook paused: new events are not sent to it." if status == "paused" else "Webhook active again.")
    return _back_to(webhook_id)


@bp.post("/dashboard/webhooks/<webhook_id>/delete")
@account_required
def delete_webhook(webhook_id):
    endpoints.delete(g.account.id, _own_webhook(webhook_id).id)
    flash("Webhook deleted, with its log.")
    return redirect(url_for("keyring.webhooks_page"), 303)


@bp.post("/dashboard/webhooks/<webhook_id>/deliveries/<delivery_id>/retry")
@account_required
def retry_webhook_delivery(webhook_id, delivery_id):
    try:
        endpoints.retry(g.account.id, _own_webhook(webhook_id).id, delivery_id)
        flash("Another attempt is queued now.")
    except endpoints.WebhookError as error:
        if error.status == 404:
            abort(404)
        flash(error.message, "error")
    return _back_to(webhook_id)
