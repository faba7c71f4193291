"""The dashboard's webhooks: add (secret shown once), send a test and see it in the log, pause, retry, delete."""
from standardwebhooks.webhooks import Webhook as Verifier

from contactapi.deliveries.models import Webhook
from tests.deliveries.helpers import deliveries_of
from tests.keyring.helpers import csrf_from, post_form, table_count
from tests.smtp import settle

EVENTS = ["submission.created", "contact.created"]


def _add(owner, url, **extra):
    page = owner.get("/dashboard/webhooks")
    return owner.post("/dashboard/webhooks", data={"csrf_token": csrf_from(page), "url": url, "events": EVENTS,
                                                   "description": "CRM", **extra})


def test_add_test_send_and_read_the_log(make_app, sign_in, start_receiver):
    app = make_app(WEBHOOK_ALLOW_HTTP=True, WEBHOOK_ALLOW_PRIVATE=True)
    owner = sign_in(app.test_client())
    receiver = start_receiver()
    added = _add(owner, receiver.url)
    assert added.status_code == 201
    html = added.get_data(as_text=True)
    secret = html.split('<code>whsec_', 1)[1].split("<", 1)[0]
    assert "only time it is shown" in html
    with app.app_context():
        [webhook] = Webhook.query.all()
        assert webhook.events == EVENTS and webhook.url == receiver.url
    page = owner.get(f"/dashboard/webhooks/{webhook.id}")
    assert "whsec_" not in page.get_data(as_text=True)  # never shown again
    assert owner.post(f"/dashboard/webhooks/{webhook.id}/test",
                      data={"csrf_token": csrf_from(page)}).status_code == 303
    settle(app)
    [(headers, body)] = receiver.requests
    assert Verifier("whsec_" + secret).verify(body, headers)["type"] == "webhook.test"
    log = owner.get(f"/dashboard/webhooks/{webhook.id}").get_data(as_text=True)
    assert "webhook.test" in log and "delivered" in log and "HTTP 200" in log


def test_pause_retry_and_delete(make_app, sign_in, start_receiver):
    app = make_app(WEBHOOK_ALLOW_HTTP=True, WEBHOOK_ALLOW_PRIVATE=True)
    owner = sign_in(app.test_client())
    receiver = start_receiver(statuses=(410, 200))
    _add(owner, receiver.url)
    with app.app_context():
        webhook_id = Webhook.query.one().id
    path = f"/dashboard/webhooks/{webhook_id}"
    post_form(owner, path, f"{path}/test")
    settle(app)
    [failed] = deliveries_of(app)
    assert failed["status"] == "failed" and "Retry now" in owner.get(path).get_data(as_text=True)
    assert post_form(owner, path, f"{path}/deliveries/{failed['id']}/retry").status_code == 303
    settle(app)
    assert deliveries_of(app)[0]["status"] == "delivered" and len(receiver.requests) == 2
    post_form(owner, path, f"{path}/status", status="paused")
    assert ">paused<" in owner.get(path).get_data(as_text=True)
    assert post_form(owner, path, f"{path}/delete").status_code == 303
    assert table_count(app, Webhook) == 0 and deliveries_of(app) == []


def test_unsafe_urls_and_other_accounts(owner, app, sign_in, make_app):
    refused = _add(owner, "http://127.0.0.1/hook")
    assert refused.status_code == 400 and "https://" in refused.get_data(as_text=True)
    assert table_count(app, Webhook) == 0
    assert _add(owner, "https://hooks.example.com/in").status_code == 201
    with app.app_context():
        webhook_id = Webhook.query.one().id
    stranger = sign_in(app.test_client(), "stranger@example.com")
    assert stranger.get(f"/dashboard/webhooks/{webhook_id}").status_code == 404
    assert post_form(stranger, "/dashboard/webhooks", f"/dashboard/webhooks/{webhook_id}/delete").status_code == 404
    assert table_count(app, Webhook) == 1
