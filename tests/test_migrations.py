"""The migrations build exactly the models' schema, and go down and up again."""
import json
import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from contactapi import contacts, create_app
from contactapi.config import TestConfig
from contactapi.extensions import db
from contactapi.search import managed_by_models


@pytest.fixture
def fresh_database_url(tmp_path):
    """An empty database: a new SQLite file, or a new schema on the PostgreSQL server under test."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path}/fresh.sqlite3"
        return
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS migration_test CASCADE"))
        connection.execute(text("CREATE SCHEMA migration_test"))
    separator = "&" if "?" in url else "?"
    yield f"{url}{separator}options=-csearch_path%3Dmigration_test"
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA migration_test CASCADE"))
    engine.dispose()


def test_upgrade_matches_models_and_downgrade_reverses(fresh_database_url):
    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": fresh_database_url})
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"include_name": managed_by_models})
            differences = compare_metadata(context, db.metadata)
        assert differences == []
        downgrade(revision="base")
        with db.engine.connect() as connection:
            tables = set(db.inspect(connection).get_table_names()) - {"alembic_version"}
        assert tables == set()
        upgrade()
        db.engine.dispose()


# A row in every table that points at a table a migration rebuilds (SQLite alters a table by copy, DROP, rename).
ROWS_AT_HEAD = {
    "accounts": "INSERT INTO accounts (id, email, contact_count, created_at) VALUES (1, 'o@example.com', 1, '2026-01-01')",
    "api_keys": "INSERT INTO api_keys (id, account_id, kind, digest, display, public_value, name, status, domains, "
                "notify, created_at) VALUES ('key_1', 1, 'publishable', 'd', 'ck_pub_…abcd', 'ck_pub_x', 'Shop', "
                "'active', '[]', true, '2026-01-01')",
    "contacts": "INSERT INTO contacts (id, account_id, email, fields, created_at, updated_at, submission_seq) VALUES "
                "('con_1', 1, 'a@example.com', '{}', '2026-01-01', '2026-01-01', 1)",
    "submissions": "INSERT INTO submissions (id, contact_id, account_id, key_id, fields, created_at, seq) VALUES "
                   "('sub_1', 'con_1', 1, 'key_1', '{\"email\": \"a@example.com\"}', '2026-01-01', 1)",
    "idempotent_requests": "INSERT INTO idempotent_requests (id, account_id, key_id, idempotency_key, fingerprint, "
                           "state, created_at) VALUES (1, 1, 'key_1', 'k', 'f', 'complete', '2026-01-01')",
    "notification_recipients": "INSERT INTO notification_recipients (id, account_id, key_id, email, created_at) "
                               "VALUES ('rcp_1', 1, 'key_1', 'b@example.com', '2026-01-01')",
}


def _row_counts(tables):
    """How many rows each of these tables holds, for those that exist at the current revision."""
    with db.engine.connect() as connection:
        present = set(db.inspect(connection).get_table_names())
        return {table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar()
                for table in tables if table in present}


def test_every_revision_down_to_0002_and_up_again_keeps_every_row(fresh_database_url):
    """No downgrade or upgrade deletes a row it does not mean to: on SQLite, rebuilding a table must not
    cascade its DROP to the rows that point at it (contacts' submissions, keys' recipients)."""
    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": fresh_database_url})
    with app.app_context():
        upgrade()
        with db.engine.begin() as connection:
            for statement in ROWS_AT_HEAD.values():
                connection.execute(text(statement))
        script = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())
        newest_first = [revision.revision for revision in script.walk_revisions()]
        for revision in newest_first[1:newest_first.index("0002") + 1]:
            downgrade(revision=revision)
            kept = _row_counts(ROWS_AT_HEAD)
            assert kept == dict.fromkeys(kept, 1), f"down to {revision}"
        upgrade()
        assert _row_counts(["accounts", "api_keys", "contacts", "submissions"]) == {
            "accounts": 1, "api_keys": 1, "contacts": 1, "submissions": 1}
        with db.engine.connect() as connection:  # the migrations' connection went back to the pool as it came
            if connection.dialect.name == "sqlite":
                assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        db.engine.dispose()


def test_cli_upgrade_on_a_new_file(tmp_path):
    from click.testing import CliRunner
    from flask.cli import ScriptInfo
    from flask_migrate.cli import db as db_group

    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/cli.sqlite3"})
    result = CliRunner().invoke(db_group, ["upgrade"], obj=ScriptInfo(create_app=lambda: app))
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert {"accounts", "api_keys", "contacts", "submissions", "magic_links"} <= set(db.inspect(db.engine).get_table_names())
        db.engine.dispose()


@pytest.fixture
def previous_release(fresh_database_url):
    """previous_release(*inserts): the app context of a database at 0001, the last release's schema, holding
    the rows those INSERT statements write; the test then upgrades it and reads them back."""
    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": fresh_database_url})
    pushed = []

    def _make(*inserts):
        context = app.app_context()
        context.push()
        pushed.append(context)
        upgrade(revision="0001")
        with db.engine.begin() as connection:
            for statement in inserts:
                connection.execute(text(statement))
        return app

    yield _make
    for context in pushed:
        db.session.remove()
        db.engine.dispose()
        context.pop()


ACCOUNT = "INSERT INTO accounts (id, email, contact_count, created_at) VALUES (1, 'o@example.com', 1, '2026-01-01')"
# The search tests' contact, and its submissions: ADA_SUBMISSION.format(id=…, text=…, day=1…9).
ADA_CONTACT = ("INSERT INTO contacts (id, account_id, email, fields, created_at, updated_at) VALUES ('con_old', 1, "
               "'ada@example.com', '{}', '2026-01-01 00:00:00', '2026-01-01 00:00:00')")
ADA_SUBMISSION = ("INSERT INTO submissions (id, contact_id, account_id, fields, created_at) VALUES "
                  "('{id}', 'con_old', 1, '{{\"email\": \"ada@example.com\", \"message\": \"{text}\"}}', "
                  "'2026-01-0{day} 00:00:00')")


def test_0003_keeps_every_key_and_adds_empty_visitor_pages(previous_release):
    """A database written by the previous release (at 0001) keeps its keys through the upgrade."""
    previous_release(
        ACCOUNT,
        "INSERT INTO api_keys (id, account_id, kind, digest, display, public_value, name, status, domains, "
        "notify, created_at) VALUES ('key_old', 1, 'publishable', 'd', 'ck_pub_…abcd', 'ck_pub_x', 'Shop', "
        "'active', '[\"example.com\"]', true, '2026-01-01')")
    upgrade()  # 0003, wherever it sits in the chain
    with db.engine.connect() as connection:
        row = connection.execute(text("SELECT id, name, domains, success_url, thank_you_message "
                                      "FROM api_keys")).one()
    domains = row.domains if isinstance(row.domains, list) else json.loads(row.domains)
    assert (row.id, row.name, domains, row.success_url, row.thank_you_message) == (
        "key_old", "Shop", ["example.com"], None, None)


def test_upgrading_a_database_of_the_previous_release_keeps_every_row(previous_release):
    rows = {
        "accounts": ACCOUNT,
        "contacts": "INSERT INTO contacts (id, account_id, email, fields, created_at, updated_at) "
                    "VALUES ('con_1', 1, 'c@example.com', '{\"n\": 1}', '2026-01-01', '2026-01-01')",
        "magic_links": "INSERT INTO magic_links (id, email, purpose, payload, created_at) "
                       "VALUES ('x', 'a@example.com', 'sign_in', '{}', '2026-01-01')",
    }
    previous_release(*rows.values())
    upgrade()
    with db.engine.connect() as connection:
        counts = {table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar() for table in rows}
        fields = connection.execute(text("SELECT fields FROM contacts")).scalar()
    assert counts == {"accounts": 1, "contacts": 1, "magic_links": 1}
    assert (json.loads(fields) if isinstance(fields, str) else fields) == {"n": 1}  # text on SQLite, JSON on PostgreSQL


def test_0005_keeps_every_row_of_a_0001_database_and_its_tables_work(previous_release):
    rows = {
        "accounts": ACCOUNT,
        "api_keys": "INSERT INTO api_keys (id, account_id, kind, digest, display, name, status, domains, notify, "
                    "created_at) VALUES ('key_1', 1, 'secret', 'd', 'ck_secret_…abcd', '', 'active', '[]', "
                    "false, '2026-01-01 00:00:00')",
        "contacts": "INSERT INTO contacts (id, account_id, email, fields, created_at, updated_at) VALUES "
                    "('con_1', 1, 'a@example.com', '{\"n\": 1}', '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
        "submissions": "INSERT INTO submissions (id, contact_id, account_id, key_id, fields, created_at) VALUES "
                       "('sub_1', 'con_1', 1, 'key_1', '{\"email\": \"a@example.com\"}', '2026-01-01 00:00:00')",
    }
    previous_release(*rows.values())
    upgrade()
    with db.engine.begin() as connection:
        for table in rows:
            assert connection.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 1, table
        assert connection.execute(text("SELECT fields FROM contacts")).scalar() in ('{"n": 1}', {"n": 1})
        assert connection.execute(text("SELECT count(*) FROM idempotent_requests")).scalar() == 0
        assert connection.execute(text("SELECT count(*) FROM erasures")).scalar() == 0


def test_0006_keeps_every_row_and_makes_old_submissions_searchable(previous_release):
    """A database written by the previous release (0001) keeps every row; its submissions become searchable."""
    from contactapi import inbox

    previous_release(
        ACCOUNT,
        "INSERT INTO contacts (id, account_id, email, fields, created_at, updated_at) "
        "VALUES ('con_old', 1, 'ada@example.com', '{\"message\": \"Old Analytical note\"}', "
        "'2026-01-01 00:00:00', '2026-01-01 00:00:00')",
        "INSERT INTO submissions (id, contact_id, account_id, key_id, fields, created_at) "
        "VALUES ('sub_old', 'con_old', 1, NULL, "
        "'{\"email\": \"ada@example.com\", \"message\": \"Old Analytical note\"}', '2026-01-01 00:00:00')")
    upgrade()
    with db.engine.connect() as connection:
        row = connection.execute(text("SELECT id, fields, page, user_agent, read_at FROM submissions")).one()
        assert connection.execute(text("SELECT count(*) FROM contacts")).scalar() == 1
    assert row.id == "sub_old" and row.page is None and row.read_at is None
    found = inbox.page_of(1, inbox.InboxFilter(query="analyt"), 1, 20)
    assert [item.id for item in found.items] == ["sub_old"] and not found.items[0].read


def test_the_deliveries_revision_keeps_every_row_of_the_previous_release(previous_release):
    previous_release(
        ACCOUNT,
        "INSERT INTO contacts (id, account_id, email, fields, created_at, updated_at) "
        "VALUES ('con_1', 1, 'a@example.com', '{\"n\": 1}', '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
        "INSERT INTO submissions (id, contact_id, account_id, key_id, fields, created_at) "
        "VALUES ('sub_1', 'con_1', 1, NULL, '{}', '2026-01-01 00:00:00')")
    upgrade(revision="0004")
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT id, email FROM contacts")).all() == [("con_1", "a@example.com")]
        assert connection.execute(text("SELECT count(*) FROM submissions")).scalar() == 1
        assert connection.execute(text("SELECT count(*) FROM deliveries")).scalar() == 0
        assert connection.execute(text("SELECT count(*) FROM webhooks")).scalar() == 0
    downgrade(revision="0001")
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM contacts")).scalar() == 1


def test_0007_keeps_every_key_and_asks_no_challenge_of_it(previous_release):
    previous_release(
        ACCOUNT,
        "INSERT INTO api_keys (id, account_id, kind, digest, display, public_value, name, status, domains, "
        "notify, created_at) VALUES ('key_old', 1, 'publishable', 'd', 'ck_pub_…abcd', 'ck_pub_x', 'Shop', "
        "'active', '[]', true, '2026-01-01')")
    upgrade(revision="0007")
    with db.engine.connect() as connection:
        row = connection.execute(text("SELECT id, name, challenge FROM api_keys")).one()
    assert (row.id, row.name, row.challenge) == ("key_old", "Shop", None)


def test_0008_keeps_every_key_without_provider_settings_and_remembers_no_challenge(previous_release):
    previous_release(
        ACCOUNT,
        "INSERT INTO api_keys (id, account_id, kind, digest, display, public_value, name, status, domains, "
        "notify, created_at) VALUES ('key_old', 1, 'publishable', 'd', 'ck_pub_…abcd', 'ck_pub_x', 'Shop', "
        "'active', '[]', true, '2026-01-01')")
    upgrade(revision="0008")
    with db.engine.connect() as connection:
        row = connection.execute(text("SELECT id, name, challenge, challenge_site_key, challenge_secret, "
                                      "challenge_threshold FROM api_keys")).one()
        assert connection.execute(text("SELECT count(*) FROM used_challenges")).scalar() == 0
    assert tuple(row) == ("key_old", "Shop", None, None, None, None)
    downgrade(revision="0007")
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT id FROM api_keys")).all() == [("key_old",)]


def test_0009_keeps_every_key_without_rules_and_adds_an_empty_spam_folder(previous_release):
    app = previous_release(
        ACCOUNT,
        "INSERT INTO api_keys (id, account_id, kind, digest, display, public_value, name, status, domains, "
        "notify, created_at) VALUES ('key_old', 1, 'publishable', 'd', 'ck_pub_…abcd', 'ck_pub_x', 'Shop', "
        "'active', '[]', true, '2026-01-01')",
        "INSERT INTO contacts (id, account_id, email, fields, created_at, updated_at) "
        "VALUES ('con_1', 1, 'a@example.com', '{\"n\": 1}', '2026-01-01 00:00:00', '2026-01-01 00:00:00')")
    upgrade(revision="0009")
    with db.engine.connect() as connection:
        row = connection.execute(text("SELECT id, name, content_rules FROM api_keys")).one()
        assert connection.execute(text("SELECT count(*) FROM contacts")).scalar() == 1
        assert connection.execute(text("SELECT count(*) FROM spam_submissions")).scalar() == 0
    assert (row.id, row.name, row.content_rules) == ("key_old", "Shop", None)
    from contactapi import keys
    with app.test_request_context():
        key = keys.key_of(1, "key_old")
        assert keys.principal_of(key, "o@example.com").rules == keys.ContentRules()  # no rule: judged as before
        db.session.remove()  # its read transaction would hold the downgrade's lock on PostgreSQL
    downgrade(revision="0008")
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT id FROM api_keys")).scalar() == "key_old"
        assert "spam_submissions" not in db.inspect(connection).get_table_names()


def test_0010_keeps_every_contact_of_a_0001_database_unconfirmed(previous_release):
    previous_release(
        ACCOUNT,
        "INSERT INTO contacts (id, account_id, email, fields, created_at, updated_at) VALUES "
        "('con_1', 1, 'a@example.com', '{\"n\": 1}', '2026-01-01 00:00:00', '2026-01-01 00:00:00'), "
        "('con_2', 1, 'b@example.com', '{}', '2026-01-02 00:00:00', '2026-01-02 00:00:00')")
    upgrade(revision="0010")
    with db.engine.connect() as connection:
        rows = connection.execute(text("SELECT id, email, confirmed_at FROM contacts ORDER BY id")).all()
        assert connection.execute(text("SELECT count(*) FROM autoresponders")).scalar() == 0
        assert connection.execute(text("SELECT count(*) FROM suppressions")).scalar() == 0
    assert rows == [("con_1", "a@example.com", None), ("con_2", "b@example.com", None)]
    downgrade(revision="0009")
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM contacts")).scalar() == 2


def test_flask_db_upgrade_through_the_apps_own_cli(tmp_path):
    # `flask db …` is the app's stand-in group (schema_migrations.py), which loads flask_migrate's when run.
    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/cli.sqlite3"})
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["--help"])
    assert "db" in listed.output and "Perform database migrations." in listed.output
    assert "upgrade" in runner.invoke(args=["db", "--help"]).output
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["db", "current"]).exit_code == 0
    with app.app_context():
        assert {"accounts", "api_keys", "contacts", "deliveries"} <= set(db.inspect(db.engine).get_table_names())
        db.engine.dispose()


def test_0011_keeps_indexed_submissions_searchable_and_its_downgrade_indexes_what_was_pending(previous_release):
    """0011 keeps every submission, and those indexed before stay found; going down, what was still pending
    is indexed first, as 0010's index holds every submission."""
    from contactapi import inbox

    submission = ADA_SUBMISSION
    previous_release(ACCOUNT, ADA_CONTACT, submission.format(id="sub_old", text="Old Analytical note", day=1))
    upgrade(revision="0011")
    with db.engine.begin() as connection:
        connection.execute(text(submission.format(id="sub_new", text="New Babbage note", day=2)))
        indexes = {index["name"] for index in db.inspect(connection).get_indexes("submissions")}
    assert "ix_submissions_account_id" not in indexes and "ix_submissions_account_newest" in indexes
    upgrade()  # the inbox reads the columns of the models: those of the head revision
    found = {word: [item.id for item in inbox.page_of(1, inbox.InboxFilter(query=word), 1, 20).items]
             for word in ("analyt", "babbage", "note")}
    assert found == {"analyt": ["sub_old"], "babbage": ["sub_new"], "note": ["sub_new", "sub_old"]}
    with db.engine.begin() as connection:
        connection.execute(text(submission.format(id="sub_last", text="Last Lovelace note", day=3)))
    db.session.remove()
    downgrade(revision="0010")
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM submissions")).scalar() == 3
        assert "ix_submissions_account_id" in {index["name"] for index in db.inspect(connection).get_indexes("submissions")}
        if connection.dialect.name == "sqlite":
            indexed = connection.execute(text("SELECT submission_id FROM search_submissions ORDER BY rowid")).scalars()
            assert list(indexed) == ["sub_old", "sub_new", "sub_last"]
            assert "search_pending" not in db.inspect(connection).get_table_names()
            matched = connection.execute(text("SELECT submission_id FROM search_submissions "
                                              "WHERE search_submissions MATCH 'lovelace'")).scalars()
            assert list(matched) == ["sub_last"]


def test_0012_numbers_every_existing_submission_oldest_first_and_prunes_from_there(previous_release):
    """0012 keeps every submission and numbers each within its contact by age; a contact's counter is its
    count, so the next post prunes exactly what the cap says. Going down, the numbers go and every row stays."""
    from contactapi import storage

    contact = ("INSERT INTO contacts (id, account_id, email, fields, created_at, updated_at) VALUES "
               "('{id}', 1, '{id}@example.com', '{{}}', '2026-01-01', '2026-01-01')")
    submission = ("INSERT INTO submissions (id, contact_id, account_id, fields, created_at) VALUES "
                  "('{id}', '{contact}', 1, '{{}}', '2026-01-0{day} 00:00:00')")
    app = previous_release(
        ACCOUNT, contact.format(id="con_a"), contact.format(id="con_b"), contact.format(id="con_c"),
        # written out of order: the numbers follow created_at (then id), not the order of the rows
        submission.format(id="sub_a3", contact="con_a", day=3), submission.format(id="sub_a1", contact="con_a", day=1),
        submission.format(id="sub_a2", contact="con_a", day=2), submission.format(id="sub_b1", contact="con_b", day=5))
    upgrade()
    with db.engine.connect() as connection:
        numbers = dict(connection.execute(text("SELECT id, seq FROM submissions")).all())
        counters = dict(connection.execute(text("SELECT id, submission_seq FROM contacts")).all())
    assert numbers == {"sub_a1": 1, "sub_a2": 2, "sub_a3": 3, "sub_b1": 1}
    assert counters == {"con_a": 3, "con_b": 1, "con_c": 0}
    app.config["SUBMISSIONS_PER_CONTACT"] = 3
    storage.upsert(1, "con_a@example.com", {"n": 4}, None)
    with db.engine.connect() as connection:
        kept = connection.execute(text("SELECT id FROM submissions WHERE contact_id = 'con_a' ORDER BY seq")).scalars()
        assert list(kept)[:2] == ["sub_a2", "sub_a3"]
    db.session.remove()
    downgrade(revision="0011")
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM submissions")).scalar() == 4
        assert connection.execute(text("SELECT count(*) FROM contacts")).scalar() == 3
        assert "seq" not in {column["name"] for column in db.inspect(connection).get_columns("submissions")}
        assert "submission_seq" not in {column["name"] for column in db.inspect(connection).get_columns("contacts")}


def test_0013_keeps_every_submission_searchable_and_its_downgrade_computes_the_columns_again(previous_release):
    """0013 keeps the search columns of every submission (PostgreSQL: nothing becomes pending); a submission
    written after it is pending until indexed. Going down, the generated columns come back for every row."""
    from contactapi import inbox

    submission = ADA_SUBMISSION
    previous_release(ACCOUNT, ADA_CONTACT, submission.format(id="sub_old", text="Old Analytical note", day=1))
    upgrade(revision="0012")
    with db.engine.begin() as connection:
        connection.execute(text(submission.format(id="sub_new", text="New Babbage note", day=2)))
    upgrade()
    postgresql = db.engine.dialect.name == "postgresql"
    if postgresql:
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM submissions WHERE search_vector IS NULL")).scalar() == 0
    with db.engine.begin() as connection:
        connection.execute(text(submission.format(id="sub_last", text="Last Lovelace note", day=3)))
    found = {word: {item.id for item in inbox.page_of(1, inbox.InboxFilter(query=word), 1, 20).items}
             for word in ("analyt", "babbage", "lovelace", "note")}
    assert found == {"analyt": {"sub_old"}, "babbage": {"sub_new"}, "lovelace": {"sub_last"},
                     "note": {"sub_last", "sub_new", "sub_old"}}
    with db.engine.begin() as connection:  # one more, left pending, to go down with the rest
        connection.execute(text(submission.format(id="sub_pending", text="Pending Hopper note", day=4)))
    db.session.remove()
    downgrade(revision="0012")
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM submissions")).scalar() == 4
        if postgresql:
            words = connection.execute(text(
                "SELECT id FROM submissions WHERE search_vector @@ to_tsquery('simple', 'hopper | lovelace') "
                "AND search_text LIKE '%note%' ORDER BY id")).scalars()
            assert list(words) == ["sub_last", "sub_pending"]
            assert connection.execute(text("SELECT count(*) FROM submissions WHERE search_vector IS NULL")).scalar() == 0
    upgrade()


def test_0014_keeps_every_count_and_its_downgrade_folds_the_changes_into_them(previous_release):
    """0014 leaves every account's count as it was; going down, the changes not yet folded are added to the
    counts before their table goes, so no count changes."""
    previous_release(ACCOUNT)
    upgrade()
    with db.engine.begin() as connection:
        assert connection.execute(text("SELECT contact_count FROM accounts")).scalar() == 1
        connection.execute(text("INSERT INTO contact_count_changes (account_id, delta) VALUES (1, 1), (1, 1)"))
    downgrade(revision="0013")
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT contact_count FROM accounts")).scalar() == 3
        assert "contact_count_changes" not in db.inspect(connection).get_table_names()
    upgrade()


def test_0015_keeps_every_delivery_and_indexes_only_a_webhooks_own(previous_release):
    """0015 rebuilds ix_deliveries_webhook_newest without the mails (webhook_id NULL); a webhook's log page still
    reads it. Going down, it indexes every row again."""
    previous_release(ACCOUNT)
    upgrade(revision="0014")
    with db.engine.begin() as connection:
        connection.execute(text("INSERT INTO webhooks (id, account_id, url, events, description, status, secret, "
                                "created_at, updated_at) VALUES ('wh_1', 1, 'https://h.example/', '[]', '', "
                                "'active', 's', '2026-01-01', '2026-01-01')"))
        for id_, webhook in (("dlv_mail", None), ("dlv_hook", "wh_1")):
            connection.execute(text(
                "INSERT INTO deliveries (id, account_id, kind, topic, webhook_id, priority, payload, status, attempts, "
                "next_attempt_at, created_at) VALUES (:id, 1, 'mail', 'notification', :webhook, 1, '{}', 'pending', "
                "0, '2026-01-01', '2026-01-01')"), {"id": id_, "webhook": webhook})
    upgrade(revision="0015")
    page = ("SELECT id FROM deliveries WHERE webhook_id = 'wh_1' ORDER BY created_at DESC, id DESC LIMIT 20")
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT id FROM deliveries ORDER BY id")).scalars().all() == ["dlv_hook", "dlv_mail"]
        assert connection.execute(text(page)).scalars().all() == ["dlv_hook"]
        if connection.dialect.name == "sqlite":
            definition = connection.execute(text(
                "SELECT sql FROM sqlite_master WHERE name = 'ix_deliveries_webhook_newest'")).scalar()
            plan = " ".join(row[-1] for row in connection.execute(text(f"EXPLAIN QUERY PLAN {page}")))
            assert "ix_deliveries_webhook_newest" in plan
        else:
            definition = connection.execute(text(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_deliveries_webhook_newest'")).scalar()
        assert "webhook_id IS NOT NULL" in definition
    downgrade(revision="0014")
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM deliveries")).scalar() == 2
        assert connection.execute(text(page)).scalars().all() == ["dlv_hook"]
    upgrade()


def test_0016_lists_a_contacts_submissions_by_number_and_drops_the_newest_first_index(previous_release):
    """0016 drops ix_submissions_contact_newest: a contact's list reads its submissions by number (0012 numbered
    the earlier ones oldest first), so it keeps its newest-first order. Going down, the index is back."""
    app = previous_release(ACCOUNT, ADA_CONTACT, *(ADA_SUBMISSION.format(id=id_, text=id_, day=day)
                                                   for id_, day in (("sub_b", 1), ("sub_a", 3), ("sub_c", 2))))
    upgrade(revision="0016")
    with app.test_request_context():
        page = contacts.list_submissions(1, "con_old", 1, 20)
        assert [item["id"] for item in page["data"]] == ["sub_a", "sub_c", "sub_b"]  # newest first
        assert page["total"] == 3
        db.session.remove()
    with db.engine.connect() as connection:
        assert "ix_submissions_contact_newest" not in _index_names(connection, "submissions")
    downgrade(revision="0015")
    with db.engine.connect() as connection:
        assert "ix_submissions_contact_newest" in _index_names(connection, "submissions")
        assert connection.execute(text("SELECT count(*) FROM submissions")).scalar() == 3
    upgrade()


def _index_names(connection, table):
    return {index["name"] for index in inspect(connection).get_indexes(table)}


def test_two_upgrades_at_once_on_postgresql_take_turns(database_url):
    """Two hosts of one release both run `flask db upgrade` on a new database: both succeed, one schema."""
    import subprocess
    import sys

    from sqlalchemy import make_url

    from tests.conftest import ROOT

    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite serialises its writers itself")
    url = make_url(database_url).set(database=make_url(database_url).database + "_twice")
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}"'))
        connection.execute(text(f'CREATE DATABASE "{url.database}"'))
    try:
        environment = {**os.environ, "CONTACTAPI_ENV": "production", "SECRET_KEY": "migrations-test",
                       "DATABASE_URL": url.render_as_string(hide_password=False)}
        upgrades = [subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
                                     cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True) for _ in range(2)]
        outputs = [upgrade.communicate(timeout=120)[0] for upgrade in upgrades]
        assert [upgrade.returncode for upgrade in upgrades] == [0, 0], outputs
        engine = create_engine(url)
        with engine.connect() as connection:
            versions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        engine.dispose()
        head = ScriptDirectory(os.path.join(ROOT, "migrations")).get_current_head()
        assert versions == [head]
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        admin.dispose()
