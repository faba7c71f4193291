"""When keys were last used: written in batches, at most once a minute per worker, in one order of keys, and
never at the cost of a request."""
import logging
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError

from contactapi import key_uses
from contactapi.extensions import db
from contactapi.models import ApiKey


@pytest.fixture
def clock(monkeypatch):
    """time.monotonic() as a list to move: clock[0] += seconds."""
    now = [1000.0]
    monkeypatch.setattr(key_uses.time, "monotonic", lambda: now[0])
    return now


def _last_uses(app):
    """{key id: last_used_at} as stored."""
    with app.app_context():
        return {key.id: key.last_used_at for key in db.session.scalars(select(ApiKey))}


def test_last_used_at_is_written_in_one_batch_at_most_once_a_minute_per_worker(make_app, make_key, clock):
    app = make_app(KEY_CACHE_TTL=5)
    first, second = make_key(), make_key("other@example.com")
    client = app.test_client()
    writes = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute",
                     lambda *args: writes.append(args[2]) if args[2].startswith("UPDATE api_keys") else None)
    assert client.get("/v1/contacts", headers={"Authorization": f"Bearer {first}"}).status_code == 200
    after_first = _last_uses(app)
    assert sorted(v is not None for v in after_first.values()) == [False, True]  # the first use is written
    for _ in range(5):
        for raw in (first, second):
            assert client.get("/v1/contacts", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    assert _last_uses(app) == after_first and len(writes) == 1  # nothing more within the minute
    clock[0] += 61
    assert client.get("/v1/contacts", headers={"Authorization": f"Bearer {second}"}).status_code == 200
    last = _last_uses(app)
    assert all(v is not None for v in last.values()) and len(writes) == 2  # both keys in one batch
    first_key = next(key_id for key_id, when in after_first.items() if when is not None)
    assert last[first_key] > after_first[first_key]  # the latest use of the batch


def test_every_batch_updates_its_keys_in_id_order(make_app, make_key, clock):
    """Two workers' batches lock the keys they share in the same order, so they cannot deadlock each other
    (opposite orders did, on PostgreSQL, and failed the request that wrote one)."""
    app = make_app(KEY_CACHE_TTL=5)
    raws = [make_key(f"owner{n}@example.com") for n in range(4)]
    client = app.test_client()
    assert client.get("/v1/contacts", headers={"Authorization": f"Bearer {raws[0]}"}).status_code == 200
    batches = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda _conn, _cursor, statement, parameters, _context, many:
                     batches.append(parameters) if statement.startswith("UPDATE api_keys") else None)
    for raw in reversed(raws):  # seen newest key first
        assert client.get("/v1/contacts", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    clock[0] += 61
    assert client.get("/v1/contacts", headers={"Authorization": f"Bearer {raws[1]}"}).status_code == 200
    [batch] = batches
    # SET last_used_at WHERE id: the id is the last parameter (positional on SQLite, named on PostgreSQL)
    ids = [row["p_id"] if isinstance(row, dict) else row[-1] for row in batch]
    assert len(ids) == 4 and ids == sorted(ids)


def test_a_failed_write_keeps_the_answer_and_the_uses_for_the_next_batch(make_app, make_key, clock, monkeypatch,
                                                                          caplog):
    app = make_app(KEY_CACHE_TTL=5)
    raw = make_key()
    real_transaction, failures = key_uses.write_transaction, [1]

    @contextmanager
    def failing_once():
        if failures:
            failures.pop()
            raise OperationalError("UPDATE api_keys …", {}, Exception("deadlock detected"))
        with real_transaction() as session:
            yield session

    monkeypatch.setattr(key_uses, "write_transaction", failing_once)
    client = app.test_client()
    with caplog.at_level(logging.WARNING, logger=app.logger.name):
        assert client.get("/v1/contacts", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    assert "last used" in caplog.text and list(_last_uses(app).values()) == [None]
    clock[0] += 61
    assert client.post("/v1/contacts", json={"email": "a@example.com"},
                       headers={"Authorization": f"Bearer {raw}"}).status_code == 201
    [written] = _last_uses(app).values()
    assert written is not None


def test_a_key_deleted_since_it_was_used_does_not_stop_the_others_being_written(make_app, make_key, clock, caplog):
    app = make_app(KEY_CACHE_TTL=5)
    gone, kept = make_key(), make_key("other@example.com")
    client = app.test_client()
    for raw in (gone, gone, kept):  # the first use is written at once; the next two wait for the next batch
        assert client.get("/v1/contacts", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    with app.app_context():
        gone_id = next(key.id for key in db.session.scalars(select(ApiKey)) if key.last_used_at is not None)
        db.session.delete(db.session.get(ApiKey, gone_id))
        db.session.commit()
    clock[0] += 61
    with caplog.at_level(logging.WARNING, logger=app.logger.name):
        assert client.get("/v1/contacts", headers={"Authorization": f"Bearer {kept}"}).status_code == 200
    assert "last used" not in caplog.text  # on PostgreSQL the ORM took the deleted key's no-match for an error
    [written] = _last_uses(app).values()
    assert written is not None
