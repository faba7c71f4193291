"""/v1/webhooks: a secret key's account manages its webhooks; the secret is shown once; unsafe URLs refused."""
import json

import pytest

from contactapi.deliveries.models import Webhook
from contactapi.extensions import db


@pytest.fixture
def api(client, secret_key):
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {secret_key}"
    return client


def test_create_list_get_patch_delete(api, app):
    created = api.post("/v1/webhooks", json={"url": "https://hooks.example.com/in", "events": ["contact.created"]})
    assert created.status_code == 201
    body = created.get_json()
    assert body["secret"].startswith("whsec_") and body["status"] == "active" and body["description"] == ""
    with app.app_context():  # stored sealed, never in the clear
        stored = db.session.get(Webhook, body["id"])
        assert body["secret"] not in stored.secret and stored.url == "https://hooks.example.com/in"
    listed = api.get("/v1/webhooks").get_json()["data"]
    assert [w["id"] for w in listed] == [body["id"]] and "secret" not in listed[0]
    assert "secret" not in api.get(f"/v1/webhooks/{body['id']}").get_json()
    patched = api.patch(f"/v1/webhooks/{body['id']}", json={"events": ["contact.deleted"], "status": "paused"})
    assert patched.get_json()["events"] == ["contact.deleted"] and patched.get_json()["status"] == "paused"
    assert api.get(f"/v1/webhooks/{body['id']}").get_json()["status"] == "paused"
    assert api.delete(f"/v1/webhooks/{body['id']}").get_json() == {"id": body["id"], "deleted": True}
    assert api.get(f"/v1/webhooks/{body['id']}").status_code == 404


@pytest.mark.parametrize("url", ["http://hooks.example.com/in", "https://127.0.0.1/x", "https://10.0.0.8/x",
                                 "https://[::1]/x", "https://169.254.169.254/latest", "https://localhost/x",
                                 "ftp://example.com/", "https://user:pw@example.com/", "not a url", 42])
def test_unsafe_urls_are_refused(api, app, url):
    response = api.post("/v1/webhooks", json={"url": url, "events": ["contact.created"]})
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_url"
    with app.app_context():
        assert db.session.query(Webhook).count() == 0


@pytest.mark.parametrize("events", [[], ["contact.exploded"], "contact.created", None])
def test_events_must_be_known(api, events):
    response = api.post("/v1/webhooks", json={"url": "https://example.com/h", "events": events})
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_events"


def test_another_account_sees_nothing(api, make_key, client):
    webhook = api.post("/v1/webhooks", json={"url": "https://example.com/h", "events": ["contact.created"]}).get_json()
    other = {"Authorization": f"Bearer {make_key('other@example.com')}"}
    for method, path in [("get", ""), ("patch", ""), ("delete", ""), ("post", "/rotate-secret"),
                         ("get", "/deliveries")]:
        response = getattr(client, method)(f"/v1/webhooks/{webhook['id']}{path}", headers=other, json={})
        assert response.status_code == 404, (method, path)
    assert client.get("/v1/webhooks", headers=other).get_json() == {"data": []}


def test_a_publishable_key_may_not_manage_webhooks(client, make_key):
    key = make_key(kind="publishable")
    response = client.get("/v1/webhooks", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 403


def test_the_delivery_log_pages_newest_first(api, app):
    from contactapi.deliveries import endpoints

    webhook = api.post("/v1/webhooks", json={"url": "https://example.com/h", "events": ["contact.created"]}).get_json()
    with app.test_request_context():
        account_id = db.session.get(Webhook, webhook["id"]).account_id
        sent = [endpoints.send_test(account_id, webhook["id"]) for _ in range(5)]
    first = api.get(f"/v1/webhooks/{webhook['id']}/deliveries?limit=2").get_json()
    assert [d["id"] for d in first["data"]] == sent[::-1][:2] and first["has_more"] is True
    assert first["data"][0]["status"] == "pending" and first["data"][0]["attempts"] == 0
    rest = api.get(f"/v1/webhooks/{webhook['id']}/deliveries?limit=10&starting_after={first['data'][-1]['id']}")
    assert [d["id"] for d in rest.get_json()["data"]] == sent[::-1][2:] and rest.get_json()["has_more"] is False
    assert api.get(f"/v1/webhooks/{webhook['id']}/deliveries?limit=0").status_code == 400


@pytest.mark.parametrize("field, value", [("url", "https://example.com/\x00"), ("url", "https://example.com/\ud800"),
                                          ("description", "a\x00b"), ("description", "\udfff")])
def test_text_no_database_can_store_is_refused(api, app, field, value):
    body = {"url": "https://example.com/h", "events": ["contact.created"], field: value}
    response = api.post("/v1/webhooks", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    with app.app_context():
        assert db.session.query(Webhook).count() == 0
