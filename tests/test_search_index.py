"""search.py's index on SQLite: a new submission is noted as pending and indexed later, in batches (by a
background pass in a pause of the requests, or first thing in any search), so every search still finds every
submission. On PostgreSQL nothing is ever pending: these tests check the searches there too."""
import time

import pytest
from sqlalchemy import text

from contactapi import contacts, search
from contactapi.deliveries import worker
from contactapi.extensions import db


def _scalar(app, sql):
    with app.app_context():
        value = db.session.execute(text(sql)).scalar()
        db.session.remove()
    return value


def _on_sqlite(app):
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")


def _pending(app):
    return _scalar(app, "SELECT count(*) FROM search_pending") if _on_sqlite(app) else 0


def _indexed_ids(app):
    with app.app_context():
        ids = db.session.execute(text("SELECT submission_id FROM search_submissions ORDER BY rowid")).scalars().all()
        db.session.remove()
    return ids


def _post(client, auth, email, message):
    response = client.post("/v1/contacts", json={"email": email, "message": message}, headers=auth)
    assert response.status_code in (200, 201), response.get_json()
    return response.get_json()


def _found(app, account_id, query):
    with app.app_context():
        emails = [contact["email"] for contact in contacts.list_page(account_id, 1, 10, query=query)["data"]]
        db.session.remove()
    return emails


def _account_id(app):
    return _scalar(app, "SELECT account_id FROM contacts LIMIT 1")


def test_a_new_submission_waits_to_be_indexed_and_a_search_finds_it_anyway(app, client, auth):
    _post(client, auth, "ada@example.com", "zebra crossing")
    if _on_sqlite(app):
        assert _pending(app) == 1 and _indexed_ids(app) == []  # nothing indexed in the submission's own write
    assert _found(app, _account_id(app), "zebra") == ["ada@example.com"]
    assert _pending(app) == 0
    _post(client, auth, "bob@example.com", "quagga")  # and again after a search: the next one is found too
    assert _found(app, _account_id(app), "quagg") == ["bob@example.com"]


def test_index_pending_takes_the_oldest_first_up_to_its_limit(app, client, auth):
    if not _on_sqlite(app):
        pytest.skip("PostgreSQL keeps its search columns in step by itself")
    for n in range(3):
        _post(client, auth, f"c{n}@example.com", f"note {n}")
    with app.app_context():
        submission_ids = db.session.execute(text("SELECT id FROM submissions ORDER BY rowid")).scalars().all()
        assert search.index_pending(limit=2) == 2
        db.session.remove()
    assert _indexed_ids(app) == submission_ids[:2] and _pending(app) == 1
    with app.app_context():
        assert search.index_pending() == 1
        assert search.index_pending() == 0
        db.session.remove()
    assert _indexed_ids(app) == submission_ids


def test_a_submission_deleted_before_it_was_indexed_leaves_nothing_pending(app, client, auth):
    contact = _post(client, auth, "ada@example.com", "zebra crossing")
    kept = _post(client, auth, "bob@example.com", "zebra too")
    assert client.delete(f"/v1/contacts/{contact['id']}", headers=auth).status_code == 200
    assert _pending(app) == (1 if _on_sqlite(app) else 0)
    assert _found(app, _account_id(app), "zebra") == [kept["email"]]
    assert _pending(app) == 0


def test_the_background_worker_indexes_what_is_pending_when_the_requests_pause(make_app, make_key):
    app = make_app(DELIVERY_EMBEDDED_WORKERS=1)
    client = app.test_client()
    auth = {"Authorization": f"Bearer {make_key()}"}
    _post(client, auth, "ada@example.com", "zebra crossing")
    worker.start_embedded(app)
    deadline = time.monotonic() + 10
    while _pending(app) and time.monotonic() < deadline:
        time.sleep(0.05)
    worker.stop_embedded(app)
    assert _pending(app) == 0
    if _on_sqlite(app):
        assert len(_indexed_ids(app)) == 1  # indexed by the worker, before any search
    assert _found(app, _account_id(app), "zebra") == ["ada@example.com"]
