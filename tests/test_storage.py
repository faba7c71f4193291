"""storage.upsert, the write side of every submission: what it stores, checked in the database (run the suite
on SQLite and with TEST_DATABASE_URL on PostgreSQL: each test runs on both), and how few statements it takes."""
import json

import pytest
from sqlalchemy import event, select

from contactapi import contact_counts, contacts, driver, storage
from contactapi.extensions import db
from contactapi.models import Contact, Submission

CHROME = "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0"


def contact_row(app, email="ada@example.com"):
    """The stored contact: its columns, fields read from the stored JSON text as it is (order kept)."""
    with app.app_context():
        row = db.session.execute(select(Contact.__table__).where(Contact.email == email)).one()._asdict()
        raw = db.session.execute(select(Contact.__table__.c.fields.cast(db.String)).where(Contact.email == email)).scalar()
        db.session.remove()
    row["fields_text"] = raw
    return row


def submissions_of(app, contact_id):
    with app.app_context():
        rows = db.session.execute(select(Submission.__table__).where(Submission.contact_id == contact_id)
                                  .order_by(Submission.created_at, Submission.id)).all()
        db.session.remove()
    return rows


def contact_count(app):
    """Every account's contact count (its counter and the changes not yet folded into it), added up."""
    with app.app_context():
        counts = db.session.execute(select(contact_counts.TOTAL)).scalars().all()
        db.session.remove()
    return sum(counts)


def test_an_upsert_keeps_the_order_sent_stores_null_and_replaces_nested_objects_whole(app, client, auth):
    client.post("/v1/contacts", json={"email": "ada@example.com", "a": 1, "nested": {"x": 1, "y": 2}, "b": 2},
                headers=auth)
    response = client.post("/v1/contacts", json={"email": "ada@example.com", "c": 3, "b": None, "nested": {"z": 1},
                                                 "a": 4}, headers=auth)
    assert response.status_code == 200
    stored = contact_row(app)
    assert list(stored["fields"].items()) == [("a", 4), ("nested", {"z": 1}), ("b", None), ("c", 3)]
    assert list(json.loads(stored["fields_text"])) == ["a", "nested", "b", "c"]  # the text itself, not a reordering
    assert list(response.get_json())[2:6] == ["a", "nested", "b", "c"]


def test_the_account_counter_counts_new_contacts_only(app, client, auth):
    for email in ("a@example.com", "b@example.com", "A@Example.com", "b@example.com"):
        client.post("/v1/contacts", json={"email": email, "n": 1}, headers=auth)
    assert contact_count(app) == 2
    listing = client.get("/v1/contacts", headers=auth).get_json()
    assert listing["total"] == 2 and len(listing["data"]) == 2


def test_each_submission_is_stored_with_its_source_whether_the_contact_is_new_or_not(app, client, auth):
    headers = {**auth, "User-Agent": CHROME, "Referer": "https://shop.example/contact"}
    client.post("/v1/contacts", json={"email": "ada@example.com", "n": 1}, headers=headers)
    client.post("/v1/contacts", json={"email": "ADA@example.com", "n": 2}, headers={**auth, "User-Agent": "curl/8"})
    contact = contact_row(app)
    first, second = submissions_of(app, contact["id"])
    assert (first.page, first.user_agent, first.fields) == ("https://shop.example/contact", CHROME,
                                                            {"email": "ada@example.com", "n": 1})
    assert (second.page, second.user_agent, second.fields) == (None, "curl/8", {"email": "ada@example.com", "n": 2})
    assert first.account_id == second.account_id == contact["account_id"]


def test_updated_at_moves_on_an_update_created_at_never(app, client, auth):
    first = client.post("/v1/contacts", json={"email": "ada@example.com", "n": 1}, headers=auth).get_json()
    created = contact_row(app)
    assert created["created_at"] == created["updated_at"]
    second = client.post("/v1/contacts", json={"email": "ada@example.com", "n": 2}, headers=auth).get_json()
    updated = contact_row(app)
    assert updated["created_at"] == created["created_at"] and updated["updated_at"] > created["updated_at"]
    assert second["created_at"] == first["created_at"] and second["updated_at"] == contacts.timestamp(updated["updated_at"])


def test_a_contact_kept_whole_when_full_keeps_its_updated_at(make_app, make_key, secret_key):
    app = make_app(MAX_CONTACT_FIELDS=2)
    client = app.test_client()
    client.post("/v1/contacts", json={"email": "ada@example.com", "a": 1, "b": 2},
                headers={"Authorization": f"Bearer {secret_key}"})
    before = contact_row(app)
    response = client.post("/v1/contacts", json={"email": "ada@example.com", "c": 3},
                           headers={"Authorization": f"Bearer {make_key(kind='publishable')}"})
    assert response.status_code in (200, 201)
    after = contact_row(app)
    assert (after["fields"], after["updated_at"]) == ({"a": 1, "b": 2}, before["updated_at"])
    assert len(submissions_of(app, after["id"])) == 2


def test_a_refused_merge_stores_nothing_of_the_post(make_app, secret_key):
    app = make_app(MAX_CONTACT_FIELDS=2)
    client, auth = app.test_client(), {"Authorization": f"Bearer {secret_key}"}
    client.post("/v1/contacts", json={"email": "ada@example.com", "a": 1}, headers=auth)
    response = client.post("/v1/contacts", json={"email": "ada@example.com", "b": 2, "c": 3}, headers=auth)
    assert response.status_code == 413
    stored = contact_row(app)
    assert stored["fields"] == {"a": 1} and stored["updated_at"] == stored["created_at"]
    assert len(submissions_of(app, stored["id"])) == 1 and contact_count(app) == 1


def test_submissions_feed_the_search_index(app, client, auth):
    client.post("/v1/contacts", json={"email": "ada@example.com", "message": "zebra crossing"}, headers=auth)
    client.post("/v1/contacts", json={"email": "ada@example.com", "message": "quagga"}, headers=auth)
    client.post("/v1/contacts", json={"email": "bob@example.com", "message": "horse"}, headers=auth)
    account_id = contact_row(app)["account_id"]
    with app.app_context():
        found = {word: [c["email"] for c in contacts.list_page(account_id, 1, 10, query=word)["data"]]
                 for word in ("zebra", "quagga", "horse", "bob@exa")}
        db.session.remove()
    assert found == {"zebra": ["ada@example.com"], "quagga": ["ada@example.com"], "horse": ["bob@example.com"],
                     "bob@exa": ["bob@example.com"]}


@pytest.fixture
def statements(app, monkeypatch):
    """The SQL statements the app sends to its database, as they are sent: through SQLAlchemy, and straight
    to the driver (contactapi/driver.py)."""
    sent = []
    with app.app_context():
        engine = db.engine

    def record(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "PRAGMA")):
            sent.append(statement)

    def recorded(connection, statement, params, run=driver.execute):
        sent.append(statement.compiled(connection.dialect).sql)
        return run(connection, statement, params)

    monkeypatch.setattr(driver, "execute", recorded)
    event.listen(engine, "before_cursor_execute", record)
    yield sent
    event.remove(engine, "before_cursor_execute", record)


def test_a_new_contact_takes_one_statement_on_postgresql_and_an_existing_one_two(app, secret_key, statements):
    """SQLite (no data-modifying CTEs, no round trips): three statements for a new contact, four for an
    existing one (insert-or-fetch, counter or fields, submission, prune)."""
    from contactapi import keys

    with app.test_request_context():
        account_id = keys.authenticate(secret_key).account_id
        statements.clear()
        _contact, created = storage.upsert(account_id, "ada@example.com", {"n": 1}, None)
        new = list(statements)
        statements.clear()
        _contact, again = storage.upsert(account_id, "ada@example.com", {"n": 2}, None)
        existing = list(statements)
    assert (created, again) == (True, False)
    one_statement = app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    assert (len(new), len(existing)) == ((1, 2) if one_statement else (3, 4))
    stored = contact_row(app)
    assert stored["fields"] == {"n": 2} and len(submissions_of(app, stored["id"])) == 2 and contact_count(app) == 1


def test_columns_with_a_python_side_default_get_it_in_the_compiled_once_statements():
    """A column another feature adds with a Python-side default (default=…) gets its value in the statements
    storage compiles once and runs on the driver, where SQLAlchemy would not fill it in."""
    from sqlalchemy import Column, MetaData, String, Table

    table = Table("t", MetaData(), Column("id", String, primary_key=True), Column("given", String),
                  Column("flag", String, default="off"), Column("stamp", String, default=lambda: "now"),
                  Column("plain", String))
    defaulted = storage._defaulted(table, {"id": None, "given": None})
    assert [column.name for column in defaulted] == ["flag", "stamp"]
    assert storage._default_values(defaulted) == {"default_t_flag": "off", "default_t_stamp": "now"}
    assert list(storage._default_binds(defaulted)) == ["flag", "stamp"]


def test_a_post_that_notifies_takes_one_statement_on_postgresql_for_a_new_contact_and_two_for_an_existing_one(
        app, make_key, statements):
    """BEGIN, one statement, COMMIT on PostgreSQL for a new contact: the owner's mail reads nothing first (the
    notices' if_new), so the upsert's own statement queues it, if the contact is new. An existing contact's mail
    says it was updated: queued with its fields and prune. SQLite, in-process: five statements for a new
    contact, six for an existing one. The mail queued early is the very mail built afterwards."""
    from contactapi import keys, notifications
    from contactapi.deliveries.models import Delivery

    raw_key, transactions = make_key(notify=True), []

    def committed(connection):
        transactions.append(connection)

    with app.test_request_context():
        principal = keys.authenticate(raw_key)
        event.listen(db.engine, "commit", committed)
        sent = []
        for n in (1, 2):
            statements.clear()
            notices = notifications.after_submission(principal, {"n": n})
            storage.upsert(principal.account_id, "ada@example.com", {"n": n}, principal.key_id, then=notices,
                           if_new=notices.if_new)
            sent.append(len(statements))
        queued = db.session.scalars(select(Delivery).order_by(Delivery.created_at, Delivery.id)).all()
        contact = contacts.as_json(contact_row(app))
        built_after = [json.loads(json.dumps(notifications.owner_mail(principal, contact, {"n": n}, n == 1).payload))
                       for n in (1, 2)]  # as stored: JSON
        db.session.remove()
        event.remove(db.engine, "commit", committed)
    on_postgresql = app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    assert sent == ([1, 2] if on_postgresql else [5, 6])
    assert len(transactions) == 2 and [row.payload["context"]["created"] for row in queued] == [True, False]
    assert [row.payload for row in queued] == built_after and [row.email for row in queued] == ["ada@example.com"] * 2


def test_a_webhook_deleted_during_a_submission_waits_for_it_and_takes_its_deliveries_along(app, make_key):
    """The upsert locks the webhooks it reads (PostgreSQL; SQLite has one writer at a time): a webhook deleted
    meanwhile can neither fail the submission's outbox insert nor leave a delivery behind."""
    import threading

    from contactapi import keys, notifications
    from contactapi.deliveries import endpoints
    from contactapi.deliveries.models import Delivery, Webhook

    with app.test_request_context():
        principal = keys.authenticate(make_key())
        db.session.add(Webhook(id="wh_race", account_id=principal.account_id, url="https://hooks.example/in",
                               events=["submission.created"], secret="sealed"))
        db.session.commit()
        db.session.remove()

    def delete_the_webhook():
        with app.app_context():
            endpoints.delete(principal.account_id, "wh_race")
            db.session.remove()

    deleter = threading.Thread(target=delete_the_webhook)
    deliveries_of = notifications.after_submission(principal, {"n": 1})

    def then(connection, contact, created, submission_id, heard_by):
        deleter.start()
        deleter.join(0.5)
        assert deleter.is_alive()  # waiting for the submission's transaction
        return deliveries_of(connection, contact, created, submission_id, heard_by)

    with app.test_request_context():
        _contact, created = storage.upsert(principal.account_id, "ada@example.com", {"n": 1}, principal.key_id,
                                           then=then)
    deleter.join(10)
    assert created and not deleter.is_alive()
    with app.app_context():
        assert db.session.scalars(select(Webhook)).all() == [] and db.session.scalars(select(Delivery)).all() == []
        db.session.remove()
