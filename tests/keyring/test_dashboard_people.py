"""The contact page offers the person's data as a JSON download, and erasing it (confirmed, with CSRF)."""
import json

from sqlalchemy import func, select

from contactapi.extensions import db
from contactapi.models import Erasure, Submission
from tests.keyring.helpers import csrf_from


def a_contact(client, make_key, email="jo@example.com"):
    auth = {"Authorization": f"Bearer {make_key()}"}
    contact = client.post("/v1/contacts", json={"email": email, "note": "hi"}, headers=auth).get_json()
    client.post("/v1/contacts", json={"email": email, "note": "again"}, headers=auth)
    return contact["id"]


def test_the_person_s_data_downloads_as_json(owner, make_key):
    contact_id = a_contact(owner, make_key)
    page = owner.get(f"/dashboard/contacts/{contact_id}").get_data(as_text=True)
    assert f"/dashboard/contacts/{contact_id}/person.json" in page and "Erase this person" in page
    download = owner.get(f"/dashboard/contacts/{contact_id}/person.json")
    assert download.status_code == 200 and "attachment" in download.headers["Content-Disposition"]
    assert download.headers["Cache-Control"] == "no-store"
    held = json.loads(download.get_data())
    assert held["email"] == "jo@example.com" and [c["id"] for c in held["contacts"]] == [contact_id]
    assert [s["fields"]["note"] for s in held["submissions"]] == ["hi", "again"]


def test_erasing_needs_the_confirmation_and_the_csrf_token(app, owner, make_key):
    contact_id = a_contact(owner, make_key)
    token = csrf_from(owner.get(f"/dashboard/contacts/{contact_id}"))
    action = f"/dashboard/contacts/{contact_id}/erase"
    assert owner.post(action, data={"confirm": "yes"}).status_code == 400  # no CSRF token
    unconfirmed = owner.post(action, data={"csrf_token": token}, follow_redirects=True)
    assert "nothing was erased" in unconfirmed.get_data(as_text=True)
    erased = owner.post(action, data={"csrf_token": token, "confirm": "yes"}, follow_redirects=True)
    assert "contacts: 1, submissions: 2" in erased.get_data(as_text=True)
    assert owner.get(f"/dashboard/contacts/{contact_id}").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Submission)) == 0
        assert db.session.scalars(select(Erasure.requested_via)).all() == ["dashboard"]


def test_another_account_s_contact_cannot_be_downloaded_or_erased(owner, make_key):
    stranger_key = make_key("stranger@example.com")
    auth = {"Authorization": f"Bearer {stranger_key}"}
    contact_id = owner.post("/v1/contacts", json={"email": "jo@example.com"}, headers=auth).get_json()["id"]
    token = csrf_from(owner.get("/dashboard/contacts"))
    assert owner.get(f"/dashboard/contacts/{contact_id}/person.json").status_code == 404
    assert owner.post(f"/dashboard/contacts/{contact_id}/erase",
                      data={"csrf_token": token, "confirm": "yes"}).status_code == 404
    assert owner.get(f"/v1/contacts/{contact_id}", headers=auth).status_code == 200
