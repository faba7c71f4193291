"""Fixtures: app, client, runner on a fresh schema (SQLite, or PostgreSQL with TEST_DATABASE_URL),
keys, a real SMTP server on loopback, and real gunicorn servers."""
import os
import subprocess
import sys
import time

import pytest
import requests
from sqlalchemy import create_engine, text

# Apps built in this process, production config included, start no background delivery worker: one would
# outlive its test and send later tests' deliveries. Tests drain the outbox themselves (tests/smtp.py settle);
# the gunicorn fixture turns the embedded workers back on.
os.environ["DELIVERY_EMBEDDED_WORKERS"] = "0"

from contactapi import create_app  # noqa: E402  (reads the environment above)
from contactapi.config import TestConfig  # noqa: E402
from contactapi.deliveries import worker  # noqa: E402
from contactapi.extensions import db  # noqa: E402
from tests.ports import free_port  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEST_SECRET = "test-secret-key"
pytest_plugins = ["tests.smtp", "tests.npm", "tests.receiver"]


def pytest_report_header(config):
    return f"database: {os.environ.get('TEST_DATABASE_URL') or 'sqlite (temporary file)'}; " \
           f"redis: {os.environ.get('TEST_REDIS_URL') or 'none (Redis tests skip)'}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """A database migrated to head once per run: a temporary SQLite file, or TEST_DATABASE_URL emptied."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    else:
        url = "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")
    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        db.engine.dispose()
    return url


def _empty_tables():
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture
def make_app(database_url):
    """Build an app on the test database with overrides; tables are emptied after the test."""
    apps = []

    def _make(**overrides):
        app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": database_url, **overrides})
        apps.append(app)
        return app

    yield _make
    for app in apps:
        worker.stop_embedded(app)
        with app.app_context():
            db.session.remove()
    on_test_database = [a for a in apps if a.config["SQLALCHEMY_DATABASE_URI"] == database_url]
    if on_test_database:
        with on_test_database[0].app_context():
            _empty_tables()
    for app in apps:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_key(app):
    """make_key(email, kind="secret", domains=()) → the raw key, its account created as needed."""
    from contactapi import accounts, keys

    def _make(email="owner@example.com", kind="secret", domains=(), **options):
        with app.app_context():
            account = accounts.get_or_create_account(email)
            _key, raw = keys.create_key(account, kind, domains=domains, **options)
            db.session.remove()
        return raw

    return _make


@pytest.fixture
def secret_key(make_key):
    return make_key()


@pytest.fixture
def auth(secret_key):
    return {"Authorization": f"Bearer {secret_key}"}


@pytest.fixture
def gunicorn(database_url, app):
    """gunicorn(workers=2, **env) → base URL of a real gunicorn serving the test database."""
    servers = []

    def _start(workers=2, port=None, output=None, **env):
        """port: choose it in advance (e.g. to name it in BASE_URL); output: a file for its stderr/stdout."""
        port = port or free_port()
        environment = {
            **os.environ, "CONTACTAPI_ENV": "production", "SECRET_KEY": TEST_SECRET,
            "DATABASE_URL": database_url, "KEY_CACHE_TTL": "0", "DELIVERY_EMBEDDED_WORKERS": "1", **env,
        }
        command = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}",
                   "--log-level", "warning", "wsgi:app"]
        process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=output, stderr=output)
        servers.append(process)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if requests.get(base + "/healthz", timeout=2).status_code == 200:
                    return base
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not start")

    _start.processes = servers  # the masters started, newest last
    yield _start
    for process in servers:
        if process.poll() is None:
            process.terminate()
            process.wait(10)
