"""Signed webhooks: every contact change reaches the account's receivers, signed so the standardwebhooks
package verifies it, retried until delivered, final on a 4xx; never sent inside the request."""
from functools import partial

import pytest
import requests
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook as Verifier

from contactapi.deliveries.models import Delivery, Webhook
from contactapi.extensions import db
from tests.deliveries.helpers import deliveries_of
from tests.races import at_once
from tests.smtp import settle


@pytest.fixture
def hook_client(hook_app, make_key):
    key = make_key("owner@example.com", kind="secret")
    client = hook_app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    return client


def add_webhook(client, url, events=("submission.created", "contact.created", "contact.updated", "contact.deleted")):
    response = client.post("/v1/webhooks", json={"url": url, "events": list(events), "description": "CRM"})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_a_submission_reaches_the_receiver_signed(hook_app, hook_client, start_receiver):
    receiver = start_receiver()
    webhook = add_webhook(hook_client, receiver.url)
    assert webhook["id"].startswith("wh_") and webhook["secret"].startswith("whsec_")
    created = hook_client.post("/v1/contacts", json={"email": "ada@example.com", "name": "Ada"})
    assert created.status_code == 201
    assert receiver.requests == []  # nothing is sent inside the request
    settle(hook_app)
    verifier = Verifier(webhook["secret"])
    payloads = [verifier.verify(body, headers) for headers, body in receiver.requests]
    assert sorted(p["type"] for p in payloads) == ["contact.created", "submission.created"]
    submission = next(p for p in payloads if p["type"] == "submission.created")
    assert set(submission) == {"type", "timestamp", "data"}
    assert submission["data"]["contact"]["id"] == created.get_json()["id"]
    assert submission["data"]["submission"]["fields"] == {"email": "ada@example.com", "name": "Ada"}
    assert submission["data"]["key_id"].startswith("key_")
    ids = {headers["webhook-id"] for headers, _body in receiver.requests}
    assert ids == {d["id"] for d in deliveries_of(hook_app, status="delivered")}


def test_patch_and_delete_send_their_events(hook_app, hook_client, start_receiver):
    receiver = start_receiver()
    add_webhook(hook_client, receiver.url, events=["contact.updated", "contact.deleted"])
    contact_id = hook_client.post("/v1/contacts", json={"email": "a@example.com"}).get_json()["id"]
    assert hook_client.patch(f"/v1/contacts/{contact_id}", json={"plan": "pro"}).status_code == 200
    assert hook_client.delete(f"/v1/contacts/{contact_id}").status_code == 200
    settle(hook_app)
    types = [body["type"] for body in receiver.bodies()]
    assert sorted(types) == ["contact.deleted", "contact.updated"]  # contact.created was not subscribed
    updated = next(b for b in receiver.bodies() if b["type"] == "contact.updated")
    assert updated["data"]["plan"] == "pro" and updated["data"]["id"] == contact_id


def test_a_receiver_failing_twice_gets_three_attempts_each_signed_afresh(hook_app, hook_client, start_receiver):
    receiver = start_receiver(statuses=(500, 503, 200))
    webhook = add_webhook(hook_client, receiver.url, events=["contact.created"])
    hook_client.post("/v1/contacts", json={"email": "a@example.com"})
    settle(hook_app)
    assert len(receiver.requests) == 3
    assert len({headers["webhook-id"] for headers, _body in receiver.requests}) == 1  # one delivery, three tries
    for headers, body in receiver.requests:
        Verifier(webhook["secret"]).verify(body, headers)
    [delivery] = deliveries_of(hook_app)
    assert delivery["status"] == "delivered" and delivery["attempts"] == 3 and delivery["last_status"] == 200
    log = hook_client.get(f"/v1/webhooks/{webhook['id']}/deliveries").get_json()
    assert log["data"][0]["attempts"] == 3 and log["data"][0]["status"] == "delivered"


def test_a_410_is_final_after_one_attempt(hook_app, hook_client, start_receiver):
    receiver = start_receiver(statuses=(410,))
    webhook = add_webhook(hook_client, receiver.url, events=["contact.created"])
    hook_client.post("/v1/contacts", json={"email": "a@example.com"})
    settle(hook_app)
    assert len(receiver.requests) == 1
    [delivery] = deliveries_of(hook_app)
    assert delivery["status"] == "failed" and delivery["attempts"] == 1 and delivery["last_status"] == 410
    # The owner can queue another attempt now, from the log.
    receiver.statuses = [200]
    retried = hook_client.post(f"/v1/webhooks/{webhook['id']}/deliveries/{delivery['id']}/retry")
    assert retried.status_code == 200 and retried.get_json()["status"] == "pending"
    settle(hook_app)
    assert deliveries_of(hook_app)[0]["status"] == "delivered" and len(receiver.requests) == 2


@pytest.mark.parametrize("status, final", [(408, False), (429, False), (404, True), (502, False)])
def test_which_answers_are_retried(hook_app, hook_client, start_receiver, status, final):
    receiver = start_receiver(statuses=(status,))
    add_webhook(hook_client, receiver.url, events=["contact.created"])
    hook_client.post("/v1/contacts", json={"email": "a@example.com"})
    settle(hook_app)
    assert len(receiver.requests) == (1 if final else 4)  # schedule of three retries in hook_app
    assert deliveries_of(hook_app)[0]["status"] == "failed"


def test_after_a_rotation_both_secrets_sign(hook_app, hook_client, start_receiver):
    receiver = start_receiver()
    webhook = add_webhook(hook_client, receiver.url, events=["contact.created"])
    rotated = hook_client.post(f"/v1/webhooks/{webhook['id']}/rotate-secret").get_json()
    assert rotated["secret"] != webhook["secret"]
    hook_client.post("/v1/contacts", json={"email": "a@example.com"})
    settle(hook_app)
    [(headers, body)] = receiver.requests
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (webhook["secret"], rotated["secret"]):
        Verifier(secret).verify(body, headers)


def test_a_paused_webhook_gets_nothing(hook_app, hook_client, start_receiver):
    receiver = start_receiver()
    webhook = add_webhook(hook_client, receiver.url)
    assert hook_client.patch(f"/v1/webhooks/{webhook['id']}", json={"status": "paused"}).status_code == 200
    hook_client.post("/v1/contacts", json={"email": "a@example.com"})
    settle(hook_app)
    assert receiver.requests == [] and deliveries_of(hook_app) == []


def test_a_secret_sealed_under_a_lost_key_fails_once_saying_what_to_do(make_app, hook_client, start_receiver):
    # SECRET_KEY changed without the old one in SECRET_KEY_FALLBACKS: the signing secret cannot be opened.
    settings = dict(WEBHOOK_ALLOW_HTTP=True, WEBHOOK_ALLOW_PRIVATE=True, DELIVERY_RETRY_SCHEDULE=[0, 0, 0])
    receiver = start_receiver()
    webhook = add_webhook(hook_client, receiver.url, events=["contact.created"])
    hook_client.post("/v1/contacts", json={"email": "a@example.com"})
    rotated = make_app(SECRET_KEY="a-new-secret-key", **settings)
    settle(rotated)
    assert receiver.requests == []
    [delivery] = deliveries_of(rotated)
    assert delivery["status"] == "failed" and delivery["attempts"] == 1  # retrying cannot open it: final
    assert "SECRET_KEY_FALLBACKS" in delivery["last_error"]
    # With the old key restored as a fallback, the owner's retry delivers it.
    restored = make_app(SECRET_KEY="a-new-secret-key", SECRET_KEY_FALLBACKS=[hook_client.application.config["SECRET_KEY"]],
                        **settings)
    restored_client = restored.test_client()
    restored_client.environ_base.update(hook_client.environ_base)
    retried = restored_client.post(f"/v1/webhooks/{webhook['id']}/deliveries/{delivery['id']}/retry")
    assert retried.status_code == 200
    settle(restored)
    assert deliveries_of(restored)[0]["status"] == "delivered" and len(receiver.requests) == 1


def test_a_webhook_deleted_while_a_patch_and_a_delete_queue_its_events_fails_neither(app, gunicorn, secret_key):
    """Both writes queue an event for the webhook being deleted: they come wholly before its delete (which takes
    their deliveries with it) or after it (and queue none), never a 500 from a delivery for a deleted webhook."""
    base = gunicorn(workers=4, WEBHOOK_ALLOW_HTTP="1", WEBHOOK_ALLOW_PRIVATE="1")
    api = partial(requests.request, headers={"Authorization": f"Bearer {secret_key}"}, timeout=60)
    patched = api("POST", f"{base}/v1/contacts", json={"email": "patched@example.com"}).json()["id"]
    for i in range(25):
        hook = api("POST", f"{base}/v1/webhooks", json={"url": "http://127.0.0.1:9/hook",
                                                        "events": ["contact.updated", "contact.deleted"]}).json()["id"]
        removed = api("POST", f"{base}/v1/contacts", json={"email": f"removed{i}@example.com"}).json()["id"]
        answers = at_once(partial(api, "DELETE", f"{base}/v1/webhooks/{hook}"),
                          partial(api, "PATCH", f"{base}/v1/contacts/{patched}", json={"n": i}),
                          partial(api, "DELETE", f"{base}/v1/contacts/{removed}"))
        assert [a.status_code for a in answers] == [200, 200, 200], [a.text[:200] for a in answers]
    with app.app_context():
        assert db.session.scalars(select(Webhook.id)).all() == []
        assert db.session.scalars(select(Delivery.id).where(Delivery.webhook_id.is_not(None))).all() == []
        db.session.remove()
