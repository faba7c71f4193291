"""SQLite checkpoints run off the writers' path (contactapi/checkpoints.py), and the log still stays small."""
import os
import time

import pytest
from flask_migrate import upgrade

from contactapi import accounts, checkpoints, create_app, keys
from contactapi.config import TestConfig
from contactapi.extensions import db


@pytest.fixture
def own_sqlite_app(tmp_path, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite only")
    path = tmp_path / "checkpoints.sqlite3"
    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with app.app_context():
        upgrade()
        account = accounts.get_or_create_account("owner@example.com")
        _key, raw = keys.create_key(account, "secret")
        db.session.remove()
    yield app, path, raw
    with app.app_context():
        db.engine.dispose()


def test_the_log_is_copied_back_and_started_over_by_the_checkpoint_thread(own_sqlite_app, monkeypatch):
    app, path, raw = own_sqlite_app
    monkeypatch.setattr(checkpoints, "CHECKPOINT_BYTES", 64 * 1024)
    monkeypatch.setattr(checkpoints, "LOOK_EVERY", 1)
    client = app.test_client()
    with app.app_context():  # a commit never checkpoints by itself before the safety net
        assert db.session.execute(db.text("PRAGMA wal_autocheckpoint")).scalar() == checkpoints.SAFETY_NET_PAGES
        db.session.remove()
    for n in range(300):
        answer = client.post("/v1/contacts", json={"email": f"p{n}@example.com", "note": "x" * 500},
                             headers={"Authorization": f"Bearer {raw}"})
        assert answer.status_code == 201
        time.sleep(0.001)  # room for the checkpoint thread, as between real requests
    # 300 contacts write about 25 MB of log: without the thread it would only grow (up to the safety net).
    # With it the log restarts every few posts; the bound leaves room for a thread the machine starves for a
    # while (the file keeps the largest size it reached).
    assert os.path.getsize(f"{path}-wal") < 8 * 1024 * 1024
    with app.app_context():
        assert db.session.execute(db.text("SELECT count(*) FROM contacts")).scalar() == 300
        db.session.remove()
