"""search_index.py on both databases: a new submission is noted as pending and indexed later, in batches (by a
background pass in a pause of the requests, or first thing in any search), so every search still finds every
submission."""
import threading
import time

import pytest
from sqlalchemy import create_engine, text

from contactapi import contacts, search_index
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
    return _scalar(app, "SELECT count(*) FROM search_pending" if _on_sqlite(app) else
                   "SELECT count(*) FROM submissions WHERE search_vector IS NULL")


def _indexed_ids(app):
    """The ids of the submissions in the index (on SQLite in the index's order)."""
    with app.app_context():
        ids = db.session.execute(text(
            "SELECT submission_id FROM search_submissions ORDER BY rowid" if _on_sqlite(app) else
            "SELECT id FROM submissions WHERE search_vector IS NOT NULL ORDER BY id")).scalars().all()
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


def _index_pending(app, **limit):
    with app.app_context():
        indexed = search_index.index_pending(**limit)
        db.session.remove()
    return indexed


def test_a_new_submission_waits_to_be_indexed_and_a_search_finds_it_anyway(app, client, auth):
    _post(client, auth, "ada@example.com", "zebra crossing")
    assert _pending(app) == 1 and _indexed_ids(app) == []  # nothing indexed in the submission's own write
    assert _found(app, _account_id(app), "zebra") == ["ada@example.com"]
    assert _pending(app) == 0
    _post(client, auth, "bob@example.com", "quagga")  # and again after a search: the next one is found too
    assert _found(app, _account_id(app), "quagg") == ["bob@example.com"]


def test_index_pending_takes_up_to_its_limit_the_oldest_first_on_sqlite(app, client, auth):
    for n in range(3):
        _post(client, auth, f"c{n}@example.com", f"note {n}")
    with app.app_context():
        order = "rowid" if _on_sqlite(app) else "id"
        submission_ids = db.session.execute(text(f"SELECT id FROM submissions ORDER BY {order}")).scalars().all()
        db.session.remove()
    assert _index_pending(app, limit=2) == 2
    assert _pending(app) == 1 and len(_indexed_ids(app)) == 2
    if _on_sqlite(app):
        assert _indexed_ids(app) == submission_ids[:2]
    assert _index_pending(app) == 1 and _index_pending(app) == 0
    assert _indexed_ids(app) == submission_ids


def test_a_submission_deleted_before_it_was_indexed_leaves_nothing_pending(app, client, auth):
    contact = _post(client, auth, "ada@example.com", "zebra crossing")
    kept = _post(client, auth, "bob@example.com", "zebra too")
    assert client.delete(f"/v1/contacts/{contact['id']}", headers=auth).status_code == 200
    assert _pending(app) == 1
    assert _found(app, _account_id(app), "zebra") == [kept["email"]]
    assert _pending(app) == 0


def test_an_edited_submission_is_found_by_its_new_text_only(app, client, auth):
    _post(client, auth, "ada@example.com", "zebra crossing")
    assert _found(app, _account_id(app), "zebra") == ["ada@example.com"]
    with app.app_context():  # no view edits a submission's fields: an operator's hand, or a later feature
        db.session.execute(text("UPDATE submissions SET fields = :fields"),
                           {"fields": '{"email": "ada@example.com", "message": "okapi"}'})
        db.session.commit()
        db.session.remove()
    assert _found(app, _account_id(app), "zebra") == []
    assert _found(app, _account_id(app), "okapi") == ["ada@example.com"]


def test_a_submission_with_no_text_at_all_is_indexed_once_not_for_ever(app, client, auth):
    contact = _post(client, auth, "ada@example.com", "zebra")
    with app.app_context():
        db.session.execute(text(
            "INSERT INTO submissions (id, contact_id, account_id, fields, created_at, seq) "
            "VALUES ('sub_empty', :contact, :account, '{}', '2026-01-01', 0), "
            "('sub_nulls', :contact, :account, '{\"name\": null}', '2026-01-01', 0)"),
            {"contact": contact["id"], "account": _account_id(app)})
        db.session.commit()
        db.session.remove()
    assert _pending(app) == 3
    assert _index_pending(app) == 3 and _pending(app) == 0 and _index_pending(app) == 0


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
    assert len(_indexed_ids(app)) == 1  # indexed by the worker, before any search
    assert _found(app, _account_id(app), "zebra") == ["ada@example.com"]


def test_on_postgresql_a_search_waits_for_an_indexer_at_work_and_a_background_pass_does_not(app, client, auth):
    """Indexers take turns: a background pass skips its turn while another indexes (it would find nothing
    left), a search's catch-up waits for it, so rows held by a batch not yet committed are not missed."""
    if _on_sqlite(app):
        pytest.skip("SQLite's writers take turns on the database's own write lock")
    _post(client, auth, "ada@example.com", "zebra crossing")
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    with engine.connect() as other_indexer:
        other_indexer.execute(text("SELECT pg_advisory_lock(:turn)"), {"turn": search_index._INDEXERS_TURN})
        assert _index_pending(app) == 0 and _pending(app) == 1
        released = threading.Event()

        def release():
            released.set()
            other_indexer.execute(text("SELECT pg_advisory_unlock(:turn)"), {"turn": search_index._INDEXERS_TURN})

        releaser = threading.Timer(0.3, release)
        releaser.start()
        assert _found(app, _account_id(app), "zebra") == ["ada@example.com"]
        assert released.is_set()  # found only once the other indexer let go: the search waited its turn
        releaser.join()
    engine.dispose()
    assert _pending(app) == 0


def test_under_load_that_never_pauses_the_worker_still_keeps_house_every_few_seconds(make_app, make_key, monkeypatch):
    """Housekeeping waits for a pause in the requests, but not for ever: the index (and, on PostgreSQL, the
    contact counts' changes) catch up every HOUSEKEEPING_MAX_LAG seconds all the same."""
    from contactapi.deliveries import traffic

    monkeypatch.setattr(worker, "HOUSEKEEPING_MAX_LAG", 0.3)
    app = make_app(DELIVERY_EMBEDDED_WORKERS=1)
    client = app.test_client()
    auth = {"Authorization": f"Bearer {make_key()}"}
    _post(client, auth, "ada@example.com", "zebra crossing")
    requests = traffic.of(app)
    requests.started()  # a request in flight all along: never a pause
    worker.start_embedded(app)
    deadline = time.monotonic() + 10
    while (_pending(app) or _scalar(app, "SELECT count(*) FROM contact_count_changes")) and time.monotonic() < deadline:
        time.sleep(0.05)
    worker.stop_embedded(app)
    requests.ended()
    assert _pending(app) == 0 and _scalar(app, "SELECT count(*) FROM contact_count_changes") == 0
