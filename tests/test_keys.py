"""Keys as a rule: the active-key limit holds under concurrency, lookups stop when a key is disabled."""
import threading
from concurrent.futures import ThreadPoolExecutor

from contactapi import accounts, keys
from contactapi.extensions import db


def test_concurrent_creations_never_pass_the_limit(app):
    with app.app_context():
        account = accounts.get_or_create_account("race@example.com")
        db.session.remove()
    barrier = threading.Barrier(14)

    def create(_):
        with app.app_context():
            barrier.wait()
            try:
                keys.create_key(account, "secret")
                return True
            except keys.KeyLimitReached:
                return False
            finally:
                db.session.remove()

    with ThreadPoolExecutor(14) as pool:
        created = list(pool.map(create, range(14)))
    assert created.count(True) == 10
    with app.app_context():
        assert keys.active_key_count(account.id) == 10


def test_disabled_key_stops_working_after_the_cache_ttl(make_app, make_key, monkeypatch):
    app = make_app(KEY_CACHE_TTL=5)
    raw = make_key()
    clock = [1000.0]
    monkeypatch.setattr(keys.time, "monotonic", lambda: clock[0])
    with app.app_context():
        principal = keys.authenticate(raw)
        assert principal is not None
        keys.set_status(keys.key_of(principal.account_id, principal.key_id), "disabled")
        assert keys.authenticate(raw) == principal  # still cached on this worker
        clock[0] += 5.1
        assert keys.authenticate(raw) is None


def test_last_used_at_is_written_in_one_batch_at_most_once_a_minute_per_worker(make_app, make_key, monkeypatch):
    from sqlalchemy import event, select

    from contactapi.extensions import db
    from contactapi.models import ApiKey

    app = make_app(KEY_CACHE_TTL=5)
    first, second = make_key(), make_key("other@example.com")
    clock = [1000.0]
    monkeypatch.setattr(keys.time, "monotonic", lambda: clock[0])
    client = app.test_client()

    def stored():
        with app.app_context():
            return {key.account_id: key.last_used_at for key in db.session.scalars(select(ApiKey))}

    writes = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute",
                     lambda *args: writes.append(args[2]) if args[2].startswith("UPDATE api_keys") else None)
    assert client.get("/v1/contacts", headers={"Authorization": f"Bearer {first}"}).status_code == 200
    after_first = stored()
    assert sorted(v is not None for v in after_first.values()) == [False, True]  # the first use is written
    for _ in range(5):
        for raw in (first, second):
            assert client.get("/v1/contacts", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    assert stored() == after_first and len(writes) == 1  # nothing more within the minute
    clock[0] += 61
    assert client.get("/v1/contacts", headers={"Authorization": f"Bearer {second}"}).status_code == 200
    last = stored()
    assert all(v is not None for v in last.values()) and len(writes) == 2  # both keys in one batch
    first_account = next(account for account, when in after_first.items() if when is not None)
    assert last[first_account] > after_first[first_account]  # the latest use of the batch
