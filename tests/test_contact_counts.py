"""contact_counts.py: an account's contact count is its counter plus the changes not yet folded into it; on
PostgreSQL a new contact adds a change (no create waits on the account's row) and folds move the changes into
the counter, the total never moving; on SQLite the counter is bumped in place."""
import threading

import pytest
from sqlalchemy import create_engine, func, select, text

from contactapi import contact_counts
from contactapi.extensions import db
from contactapi.models import Account, Contact, ContactCountChange


def _post(client, auth, email):
    response = client.post("/v1/contacts", json={"email": email}, headers=auth)
    assert response.status_code in (200, 201), response.get_json()
    return response.get_json()


def _listed_total(client, auth):
    return client.get("/v1/contacts", headers=auth).get_json()["total"]


def _stored(app):
    """(the accounts' counters, the changes not yet folded, the contacts there are), each added up."""
    with app.app_context():
        counters = db.session.scalar(select(func.coalesce(func.sum(Account.contact_count), 0)))
        changes = db.session.scalar(select(func.coalesce(func.sum(ContactCountChange.delta), 0)))
        contacts = db.session.scalar(select(func.count()).select_from(Contact))
        db.session.remove()
    return counters, changes, contacts


def _fold(app, **limit):
    with app.app_context():
        folded = contact_counts.fold(**limit)
        db.session.remove()
    return folded


def _postgresql(app):
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")


def test_the_total_counts_new_contacts_before_and_after_a_fold(app, client, auth):
    for email in ("ada@example.com", "bob@example.com", "cy@example.com", "ada@example.com"):
        _post(client, auth, email)
    assert _listed_total(client, auth) == 3
    assert _stored(app) == ((0, 3, 3) if _postgresql(app) else (3, 0, 3))  # PostgreSQL: changes, not the row
    assert _fold(app, limit=2) == (2 if _postgresql(app) else 0)
    assert _listed_total(client, auth) == 3
    assert _fold(app) == (1 if _postgresql(app) else 0) and _fold(app) == 0
    assert _stored(app) == (3, 0, 3)
    contact = _post(client, auth, "dee@example.com")
    assert client.delete(f"/v1/contacts/{contact['id']}", headers=auth).status_code == 200
    assert _listed_total(client, auth) == 3  # a delete changes the counter in place, before any fold
    _fold(app)
    assert _stored(app) == (3, 0, 3)


def test_concurrent_creates_and_folds_count_every_contact_once(app, auth):
    """Threads create contacts for one account while another folds over and over: the total is exact all along."""
    errors, done = [], threading.Event()

    def create(n):
        client = app.test_client()
        try:
            for i in range(20):
                _post(client, auth, f"t{n}-{i}@example.com")
        except Exception as error:  # reported below: an assert in a thread would be lost
            errors.append(error)

    def fold_until_done():
        while not done.is_set():
            _fold(app, limit=7)

    creators = [threading.Thread(target=create, args=(n,)) for n in range(4)]
    folder = threading.Thread(target=fold_until_done)
    folder.start()
    for thread in creators:
        thread.start()
    for thread in creators:
        thread.join()
    done.set()
    folder.join()
    assert errors == []
    assert _listed_total(app.test_client(), auth) == 80
    _fold(app)
    assert _stored(app) == (80, 0, 80)


def test_only_one_fold_at_a_time_on_postgresql(app, client, auth):
    """Two folds at once could deadlock on the account rows they update: the second skips its turn."""
    if not _postgresql(app):
        pytest.skip("SQLite has no changes to fold")
    _post(client, auth, "ada@example.com")
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    with engine.connect() as other_fold:
        other_fold.execute(text("SELECT pg_advisory_lock(:turn)"), {"turn": contact_counts._FOLDERS_TURN})
        assert _fold(app) == 0
        other_fold.execute(text("SELECT pg_advisory_unlock(:turn)"), {"turn": contact_counts._FOLDERS_TURN})
    engine.dispose()
    assert _fold(app) == 1 and _stored(app) == (1, 0, 1)
