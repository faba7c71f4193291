"""Double opt-in end to end: the autoresponse carries a confirmation link; its page changes nothing, its
button sets confirmed_at, which the API, its filter, the dashboard, the exports and a webhook event show."""
import csv
import io
import json

from contactapi import accounts
from contactapi.autoresponders import links
from contactapi.deliveries.models import Delivery
from tests.autoresponders.conftest import confirm_path, mail_to, submit
from tests.deliveries.helpers import deliveries_of
from tests.keyring.helpers import table_count
from tests.smtp import Inbox


def _api(app, secret):
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    return client


def test_post_mail_page_button_confirmed(ar_app, make_responder, make_key, owner_client):
    responder = make_responder(double_opt_in=True)
    api = _api(ar_app, make_key("owner@example.com"))
    hook = api.post("/v1/webhooks", json={"url": "https://hooks.example.com/in", "events": ["contact.confirmed"]})
    assert hook.status_code == 201
    assert submit(ar_app, responder.raw, email="ada@example.com", name="Ada").status_code == 201
    submit(ar_app, responder.raw, email="bob@example.com", ip="198.51.100.9")  # stays pending
    [mail] = mail_to(ar_app, "ada@example.com")
    assert "Confirm my address" in Inbox.html_of(mail)
    [stored] = deliveries_of(ar_app, topic="autoresponse", email="ada@example.com")
    path = confirm_path(mail)
    assert "sealed" in stored["payload"]  # the stored copy of a working link is sealed
    assert path.rsplit("/", 1)[-1] not in json.dumps(stored["payload"])
    [contact] = api.get("/v1/contacts?email=ada@example.com").get_json()["data"]

    visitor = ar_app.test_client()
    page = visitor.get(path)
    assert page.status_code == 200 and "Yes, confirm my address" in page.get_data(as_text=True)
    german = visitor.get(path, headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert "Ja, meine Adresse bestätigen" in german and "Manage my keys" not in german  # the visitor's page
    assert api.get(f"/v1/contacts/{contact['id']}").get_json()["confirmed_at"] is None  # a GET changes nothing
    assert table_count(ar_app, Delivery, topic="contact.confirmed") == 0

    done = visitor.post(path)
    assert done.status_code == 200 and 'id="confirmed"' in done.get_data(as_text=True)
    confirmed_at = api.get(f"/v1/contacts/{contact['id']}").get_json()["confirmed_at"]
    assert confirmed_at and confirmed_at.endswith("Z")
    assert [c["email"] for c in api.get("/v1/contacts?confirmed=true").get_json()["data"]] == ["ada@example.com"]
    assert [c["email"] for c in api.get("/v1/contacts?confirmed=false").get_json()["data"]] == ["bob@example.com"]
    assert api.get("/v1/contacts?confirmed=yes").status_code == 400
    [event] = deliveries_of(ar_app, topic="contact.confirmed")
    assert event["payload"]["data"]["id"] == contact["id"] and event["payload"]["data"]["confirmed_at"] == confirmed_at

    visitor.post(path)  # a second press changes nothing and emits nothing
    assert api.get(f"/v1/contacts/{contact['id']}").get_json()["confirmed_at"] == confirmed_at
    assert table_count(ar_app, Delivery, topic="contact.confirmed") == 1

    listed = owner_client.get("/dashboard/contacts?confirmation=confirmed").get_data(as_text=True)
    assert "ada" in listed and "bob" not in listed
    pending = owner_client.get("/dashboard/contacts?confirmation=pending").get_data(as_text=True)
    assert "bob" in pending and "ada@" not in pending
    exported = owner_client.get("/dashboard/export/csv").get_data(as_text=True)
    rows = {row["email"]: row for row in csv.DictReader(io.StringIO(exported))}
    assert rows["ada@example.com"]["confirmed_at"] == confirmed_at and rows["bob@example.com"]["confirmed_at"] == ""
    as_json = json.loads(owner_client.get("/dashboard/export/json?confirmation=pending").get_data(as_text=True))
    assert [(c["email"], c["confirmed_at"]) for c in as_json] == [("bob@example.com", None)]


def test_a_forged_or_other_purpose_token_confirms_nothing(ar_app, make_responder):
    responder = make_responder(double_opt_in=True)
    submit(ar_app, responder.raw, email="ada@example.com")
    [mail] = mail_to(ar_app, "ada@example.com")
    stop_token = mail["List-Unsubscribe"].strip("<>").rpartition("/")[2]
    client = ar_app.test_client()
    assert client.post(f"/confirm/{stop_token}").status_code == 404
    assert client.post("/confirm/forged.token").status_code == 404
    assert client.get(confirm_path(mail) + "x").status_code == 404


def test_without_double_opt_in_the_autoresponse_has_no_link(ar_app, make_responder):
    responder = make_responder()
    submit(ar_app, responder.raw, email="ada@example.com")
    [mail] = mail_to(ar_app, "ada@example.com")
    assert "/confirm/" not in Inbox.text_of(mail)


def test_a_link_confirms_only_the_address_it_was_mailed_to(ar_app, make_responder, make_key):
    responder = make_responder(double_opt_in=True)
    api = _api(ar_app, make_key("owner@example.com"))
    assert submit(ar_app, responder.raw, email="ada@example.com").status_code == 201
    path = confirm_path(mail_to(ar_app, "ada@example.com")[0])
    [contact] = api.get("/v1/contacts?email=ada@example.com").get_json()["data"]
    url = f"/v1/contacts/{contact['id']}"
    assert api.patch(url, json={"email": "zed@example.com"}).status_code == 200  # zed@ never got a link

    visitor = ar_app.test_client()
    page = visitor.get(path)
    assert page.status_code == 410 and 'id="no-longer-applies"' in page.get_data(as_text=True)
    assert "<button" not in page.get_data(as_text=True)
    pressed = visitor.post(path)
    assert pressed.status_code == 410 and 'id="no-longer-applies"' in pressed.get_data(as_text=True)
    assert "zed@example.com" not in pressed.get_data(as_text=True)
    assert api.get(url).get_json()["confirmed_at"] is None  # nothing changed, nothing sent
    assert table_count(ar_app, Delivery, topic="contact.confirmed") == 0
    french = visitor.get(path, headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Ce lien ne s&#39;applique plus" in french or "Ce lien ne s'applique plus" in french

    # The address it was mailed to is the contact's again: the link is good again.
    assert api.patch(url, json={"email": "ada@example.com"}).status_code == 200
    assert visitor.post(path).status_code == 200 and api.get(url).get_json()["confirmed_at"]


def test_a_link_mailed_before_links_named_their_address_still_confirms(ar_app, make_responder, make_key):
    responder = make_responder(double_opt_in=True)
    api = _api(ar_app, make_key("owner@example.com"))
    submit(ar_app, responder.raw, email="ada@example.com")
    [contact] = api.get("/v1/contacts?email=ada@example.com").get_json()["data"]
    with ar_app.app_context():  # signed as links were before they named their address: account and contact
        account_id = accounts.get_or_create_account("owner@example.com").id
        token = links._serializer(links.CONFIRM_SALT).dumps({"a": account_id, "c": contact["id"]})
    assert ar_app.test_client().post(f"/confirm/{token}").status_code == 200
    assert api.get(f"/v1/contacts/{contact['id']}").get_json()["confirmed_at"]
