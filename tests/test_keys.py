"""Keys as a rule: the active-key limit holds under concurrency, lookups stop when a key is disabled."""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

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


def test_only_a_publishable_key_is_ever_locked_to_domains(app):
    # One rule (keys.domains_for) for every way a key is made: the dashboard, the CLI, an emailed link.
    with app.app_context():
        account = accounts.get_or_create_account("locks@example.com")
        with pytest.raises(ValueError, match="^Only publishable keys can be locked to domains.$"):
            keys.create_key(account, "secret", domains=["example.com"])
        key, _raw = keys.create_key(account, "publishable", domains=["https://Example.com/"])
        assert key.domains == ["example.com"] and keys.active_key_count(account.id) == 1
        db.session.remove()
