"""GET and DELETE /v1/people/<email>: everything held about one address, and erasing all of it."""
import json
from functools import partial

import pytest
import requests
from sqlalchemy import select

from contactapi import contact_counts, people
from contactapi.extensions import db
from contactapi.models import Account, Erasure
from contactapi.personal_data import Part
from tests.races import at_once

PERSON = "Jo.Person@Example.com"
STORED = "jo.person@example.com"  # as addresses.normalise_email stores it


def everything_stored(app):
    """Every row of every table, as {table: set of JSON texts} (alembic's own table aside)."""
    with app.app_context():
        rows = {table.name: {json.dumps(dict(row._mapping), default=str, sort_keys=True)
                             for row in db.session.execute(table.select())}
                for table in db.metadata.sorted_tables}
        db.session.remove()
    return rows


def mentions(text, address=STORED):
    """Whether text holds the address as a whole string (as JSON spells it, or plainly)."""
    text = text.lower()
    return json.dumps(address) in text or json.dumps(json.dumps(address))[1:-1] in text or text == address


def hold_data_about(client, auth, email, other_key_auth=None):
    """A contact, three submissions (one before an email change), a kept idempotent answer."""
    renamed = "before-" + email.replace("@", "-at-") + "@example.net"
    old = client.post("/v1/contacts", json={"email": renamed, "note": "first"}, headers=auth).get_json()
    client.patch(f"/v1/contacts/{old['id']}", json={"email": email}, headers=auth)
    client.post("/v1/contacts", json={"email": email, "note": "second"}, headers={**auth, "Idempotency-Key": email if email.isascii() else "k"})
    client.post("/v1/contacts", json={"email": email.upper(), "note": "third"}, headers=other_key_auth or auth)
    return old["id"]


def test_access_returns_every_part(client, auth):
    contact_id = hold_data_about(client, auth, PERSON)
    answer = client.get(f"/v1/people/{PERSON}", headers=auth)
    assert answer.status_code == 200
    held = answer.get_json()
    assert held["email"] == STORED
    assert [c["id"] for c in held["contacts"]] == [contact_id] and held["contacts"][0]["note"] == "third"
    assert [s["fields"]["note"] for s in held["submissions"]] == ["first", "second", "third"]
    assert len(held["idempotent_requests"]) == 1 and held["idempotent_requests"][0]["status"] == 200


def test_access_to_an_unknown_address_holds_nothing_and_a_bad_one_is_400(client, auth):
    assert client.get("/v1/people/nobody@example.com", headers=auth).get_json() == {
        "email": "nobody@example.com", "contacts": [], "submissions": [], "idempotent_requests": [], "spam": [],
        "deliveries": []}
    bad = client.get("/v1/people/not-an-address", headers=auth)
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "invalid_email"


def test_people_need_a_secret_key(client, make_key):
    headers = {"Authorization": f"Bearer {make_key(kind='publishable')}"}
    assert client.get(f"/v1/people/{PERSON}", headers=headers).status_code == 403
    assert client.delete(f"/v1/people/{PERSON}", headers=headers).status_code == 403


def test_erasure_leaves_nothing_of_the_address_in_any_table_and_touches_nothing_else(app, client, auth, make_key):
    other_account = {"Authorization": f"Bearer {make_key('other@example.com')}"}
    hold_data_about(client, auth, PERSON)
    hold_data_about(client, auth, "someone.else@example.com")
    hold_data_about(client, auth, "x" + STORED)  # an address that contains the erased one is someone else
    hold_data_about(client, other_account, PERSON)  # the same person in another account stays there
    with app.app_context():  # the new contacts' counts into the accounts' rows (PostgreSQL: contact_counts.py)
        contact_counts.fold()
        db.session.remove()
    before = everything_stored(app)

    answer = client.delete(f"/v1/people/{PERSON}", headers=auth)
    assert answer.status_code == 200
    assert answer.get_json()["erased"] == {"contacts": 1, "submissions": 3, "idempotent_requests": 1, "deliveries": 0, "spam": 0}

    after = everything_stored(app)
    with app.app_context():
        owner_account = db.session.execute(select(Erasure.account_id)).scalar_one()
    erased_contacts = {json.loads(r)["id"] for r in before["contacts"] - after["contacts"]}
    for table, rows in after.items():
        removed, added = before[table] - rows, rows - before[table]
        mine = [json.loads(r) for r in rows if json.loads(r).get("account_id", owner_account) == owner_account]
        assert not [r for r in mine if mentions(json.dumps(r))], f"{table} still holds the address"
        if table != "accounts":  # every removed row held the address (or was its contact's), in this account
            assert all((mentions(r) or json.loads(r).get("contact_id") in erased_contacts)
                       and json.loads(r)["account_id"] == owner_account for r in removed), table
        if table == "erasures":
            assert len(added) == 1
        elif table == "accounts":  # only the owner's contact counter moved
            assert [json.loads(r)["contact_count"] for r in added] == [2]
        else:
            assert not added, table
    # The other account still holds everything it held about the same address.
    assert len(client.get(f"/v1/people/{PERSON}", headers=other_account).get_json()["submissions"]) == 3


def test_the_erasure_is_on_record_by_digest_and_suppresses_the_address(app, client, auth):
    hold_data_about(client, auth, PERSON)
    erased = client.delete(f"/v1/people/{PERSON}", headers=auth).get_json()
    with app.app_context():
        record = db.session.get(Erasure, erased["id"])
        assert record.address_digest == people.address_digest(STORED) and STORED not in record.address_digest
        assert record.counts == erased["erased"] and record.requested_via.startswith("api:key_")
        assert people.suppressed(record.account_id, PERSON)
        assert not people.suppressed(record.account_id, "someone.else@example.com")
    assert client.get(f"/v1/contacts?email={PERSON}", headers=auth).get_json()["total"] == 0
    assert client.get("/v1/contacts", headers=auth).get_json()["total"] == 0  # the counter moved too


def test_an_erasure_with_an_idempotency_key_replays_its_counts(client, auth):
    hold_data_about(client, auth, PERSON)
    headers = {**auth, "Idempotency-Key": "erase-jo"}
    first = client.delete(f"/v1/people/{PERSON}", headers=headers)
    again = client.delete(f"/v1/people/{PERSON}", headers=headers)
    assert again.headers["Idempotent-Replayed"] == "true" and again.get_json() == first.get_json()
    assert not mentions(again.get_data(as_text=True))  # the kept answer holds no address


def test_every_table_is_covered_by_a_part_or_holds_no_visitor_data(app):
    covered = {table for part in people.PARTS for table in part.tables}
    assert covered.isdisjoint(people.NOT_PERSONAL)
    assert {table.name for table in db.metadata.sorted_tables} == covered | set(people.NOT_PERSONAL)


def test_an_address_with_non_ascii_letters_is_found_and_erased_wherever_json_escapes_it(app, client, auth):
    person, stored = "Jö@Bücher.example", "jö@bücher.example"
    hold_data_about(client, auth, person)
    assert len(client.get(f"/v1/people/{person}", headers=auth).get_json()["idempotent_requests"]) == 1
    erased = client.delete(f"/v1/people/{person}", headers=auth).get_json()["erased"]
    assert erased == {"contacts": 1, "submissions": 3, "idempotent_requests": 1, "deliveries": 0, "spam": 0}
    leftovers = [row for rows in everything_stored(app).values() for row in rows if mentions(row, stored)]
    assert leftovers == []


def test_an_address_given_only_as_a_reply_to_is_found_and_erased_in_the_queued_notifications(app, client, make_key):
    from tests.deliveries.helpers import deliveries_of
    auth = {"Authorization": f"Bearer {make_key(notify=True)}"}
    public = make_key(kind="publishable", domains=["example.com"], notify=True)
    browser = {"Accept": "application/json", "Origin": "https://example.com"}
    # Formspree's _replyto and Web3Forms' replyto: the owner's notification answers to the other address.
    client.post(f"/f/{public}", json={"email": "ada@example.com", "_replyto": "Bob@Example.com"}, headers=browser)
    client.post("/submit", json={"access_key": public, "email": "cy@example.com", "replyto": "bob@example.com"},
                headers=browser)
    # Another's post that only mentions the address stays theirs, as their submission does.
    client.post("/v1/contacts", json={"email": "dee@example.com", "friend": "bob@example.com"}, headers=auth)
    assert len(client.get("/v1/people/bob@example.com", headers=auth).get_json()["deliveries"]) == 2
    assert client.delete("/v1/people/bob@example.com", headers=auth).get_json()["erased"]["deliveries"] == 2
    assert [d["email"] for d in deliveries_of(app)] == ["dee@example.com"]


def test_an_address_held_with_capital_non_ascii_letters_is_found_and_erased(client, auth, make_key):
    from werkzeug.datastructures import MultiDict
    public = make_key(kind="publishable", domains=["example.com"])
    twice = MultiDict([("email", "JOSÉ@BÜCHER.EXAMPLE"), ("email", "JOSÉ@BÜCHER.EXAMPLE"), ("_gotcha", "x")])
    client.post(f"/f/{public}", data=twice, headers={"Accept": "application/json", "Origin": "https://example.com"})
    assert len(client.get("/v1/people/josé@bücher.example", headers=auth).get_json()["spam"]) == 1
    assert client.delete("/v1/people/José@Bücher.example", headers=auth).get_json()["erased"]["spam"] == 1


def test_an_idempotency_key_that_is_the_address_in_ascii_is_found_and_erased(app, client, auth):
    ada = client.post("/v1/contacts", json={"email": "ada@bücher.example"}, headers=auth).get_json()
    deleted = client.delete(f"/v1/contacts/{ada['id']}", headers={**auth, "Idempotency-Key": "ADA@XN--BCHER-KVA.EXAMPLE"})
    assert deleted.status_code == 200
    assert len(client.get("/v1/people/Ada@Bücher.example", headers=auth).get_json()["idempotent_requests"]) == 1
    assert client.delete("/v1/people/ada@xn--bcher-kva.example", headers=auth).get_json()["erased"]["idempotent_requests"] == 1


def test_an_erasure_that_fails_part_way_erases_nothing(app, client, auth, monkeypatch):
    hold_data_about(client, auth, PERSON)
    before = everything_stored(app)

    def breaks(connection, account_id, email):
        raise RuntimeError("a part failed")

    # Listed first, so erased last: every other part has already deleted its rows when this one fails.
    monkeypatch.setattr(people, "PARTS", (Part("broken", (), lambda *a: [], breaks),) + people.PARTS)
    with app.app_context():
        owner = db.session.execute(select(Account.id)).scalar_one()
        with pytest.raises(RuntimeError):
            people.erase(owner, PERSON, "test")
        db.session.remove()
    assert everything_stored(app) == before


def test_an_erasure_after_an_email_change_takes_the_mail_and_answers_about_the_old_address(app, client, auth,
                                                                                            make_key):
    """What was queued or stored about a contact under its old address is the person's under the new one."""
    from contactapi.models import IdempotentRequest
    from tests.deliveries.helpers import deliveries_of

    publishable = {"Authorization": f"Bearer {make_key(kind='publishable')}"}  # notifies its owner
    message = "call me on 555-0100"
    created = client.post("/v1/contacts", json={"email": "old@example.com", "message": message}, headers=publishable)
    contact_id = created.get_json()["id"]
    client.post("/v1/contacts", json={"email": "old@example.com", "message": message},
                headers={**auth, "Idempotency-Key": "import-1"})
    assert client.patch(f"/v1/contacts/{contact_id}", json={"email": "new@example.com"},
                        headers=auth).status_code == 200

    def held_message():
        with app.app_context():
            answers = [r.body for r in db.session.execute(select(IdempotentRequest)).scalars()]
            db.session.remove()
        return ([d["status"] for d in deliveries_of(app) if message in json.dumps(d["payload"])],
                [body for body in answers if message in body])

    pending, answers = held_message()
    assert pending == ["pending"] and len(answers) == 1 and "old@example.com" in answers[0]
    person = client.get("/v1/people/new@example.com", headers=auth).get_json()
    assert [d["type"] for d in person["deliveries"]] == ["notification"]
    assert [r["idempotency_key"] for r in person["idempotent_requests"]] == ["import-1"]

    erased = client.delete("/v1/people/new@example.com", headers=auth).get_json()["erased"]
    assert erased["deliveries"] == 1 and erased["idempotent_requests"] == 1 and erased["contacts"] == 1
    assert held_message() == ([], [])


def test_an_erasure_racing_a_post_to_the_contact_leaves_nothing_the_post_wrote_before_it(app, gunicorn, make_key):
    """DELETE /v1/people racing a publishable-key POST (with an Idempotency-Key) that merges into the contact:
    the post either came first, and the erasure takes all it wrote (its submission, the owner's notification,
    its kept answer, written after the work), or came after and made a new contact, kept whole."""
    base = gunicorn(workers=4, RATELIMIT_PUBLIC_IP="100000/minute", RATELIMIT_PUBLIC_KEY="100000/minute")
    secret = {"Authorization": f"Bearer {make_key()}"}
    publishable = {"Authorization": f"Bearer {make_key(kind='publishable')}"}  # the owner's notification is on
    old_ids = {}
    for i in range(30):
        email = f"gone{i}@example.com"
        old_ids[email] = requests.post(f"{base}/v1/contacts", json={"email": email}, headers=secret,
                                       timeout=10).json()["id"]
        erased, posted = at_once(
            partial(requests.delete, f"{base}/v1/people/{email}", headers=secret, timeout=60),
            partial(requests.post, f"{base}/v1/contacts", json={"email": email, "phone": "555-0100"},
                    headers={**publishable, "Idempotency-Key": f"k{i}"}, timeout=60))
        assert (erased.status_code, posted.status_code) == (200, 201)

    stored = everything_stored(app)
    new_ids = {json.loads(row)["email"]: json.loads(row)["id"] for row in stored["contacts"]}
    for email, old_id in old_ids.items():
        kept_id = new_ids.get(email)
        assert kept_id != old_id
        for table, rows in stored.items():
            about = [row for row in rows if old_id in row or mentions(row, email)]
            # What the erasure left is the new contact's: itself, its one submission, its answer, its mail.
            assert all(kept_id and kept_id in row for row in about), (table, about)
        if kept_id:
            assert sum(kept_id in row for row in stored["submissions"]) == 1
            assert any('"phone": "555-0100"' in row for row in stored["contacts"] if kept_id in row)
