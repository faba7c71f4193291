"""Every /v1 error is JSON of one shape, including routing errors and crashes."""
from contextlib import contextmanager

import pytest
from sqlalchemy import text

from contactapi.extensions import db


def test_unknown_routes_are_json_404(client):
    for path in ("/v1/nope", "/v1", "/v1/contacts/a/b/c"):
        response = client.get(path)
        assert response.status_code == 404 and response.is_json
        assert response.get_json() == {"error": {"message": "Not found.", "code": "not_found"}}


def test_wrong_method_is_json_405_with_allow(client, auth):
    response = client.put("/v1/contacts", json={}, headers=auth)
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"
    assert "POST" in response.headers["Allow"]


def test_crash_is_json_500_without_a_trace(make_app, auth):
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.get("/v1/boom")
    def boom():
        raise RuntimeError("secret detail")

    response = app.test_client().get("/v1/boom")
    assert response.status_code == 500
    assert response.get_json() == {"error": {"message": "Internal server error.", "code": "internal_error"}}
    assert b"secret detail" not in response.get_data() and b"Traceback" not in response.get_data()


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok", "ratelimit": "ok"}


def test_healthz_when_the_database_is_gone(make_app, tmp_path):
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/missing/dir/db.sqlite3")
    assert app.test_client().get("/healthz").status_code == 503


def test_healthz_when_the_database_holds_no_schema(make_app, tmp_path):
    # A mistyped SQLite path answers queries (an empty file is created) while every API call fails.
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/never-migrated.sqlite3")
    assert app.test_client().get("/healthz").status_code == 503
    with app.app_context():  # migrations begun but every revision since undone: no schema either
        db.session.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
        db.session.commit()
    assert app.test_client().get("/healthz").status_code == 503


@contextmanager
def recorded_revision(app, revision):
    """The database says the migrations reached revision, for the block."""
    with app.app_context():
        current = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        db.session.execute(text("UPDATE alembic_version SET version_num = :revision"), {"revision": revision})
        db.session.commit()
    try:
        yield
    finally:
        with app.app_context():
            db.session.execute(text("UPDATE alembic_version SET version_num = :current"), {"current": current})
            db.session.commit()


def test_healthz_when_the_schema_is_newer_than_the_code(app, client):
    # In a rolling deploy the migrations run first: the old code still serves, so it stays healthy.
    with recorded_revision(app, "9999"):
        assert client.get("/healthz").status_code == 200


def test_healthz_when_the_schema_is_older_than_the_code(app, client):
    # `flask db upgrade` not run after an upgrade of the code: calls needing the new schema fail, so unhealthy.
    with recorded_revision(app, "0013"):
        behind = client.get("/healthz")
        assert behind.status_code == 503 and "flask --app wsgi db upgrade" in behind.get_json()["reason"]


def test_the_revisions_healthz_counts_as_behind_are_alembics_all_but_the_head():
    from alembic.script import ScriptDirectory

    from contactapi.schema_migrations import revisions_behind
    from tests.conftest import ROOT
    script = ScriptDirectory(f"{ROOT}/migrations")
    every = {revision.revision for revision in script.walk_revisions()}
    assert revisions_behind(f"{ROOT}/migrations") == every - set(script.get_heads())


NUL_IN_A_PATH = [  # PostgreSQL refuses NUL in text: each of these was a 500 there, a 404 on SQLite
    ("get", "/v1/contacts/con_%00abc"), ("patch", "/v1/contacts/con_%00abc"), ("delete", "/v1/contacts/con_%00abc"),
    ("get", "/v1/contacts/con_%00abc/submissions"), ("get", "/v1/webhooks/wh_%00abc"),
    ("patch", "/v1/webhooks/wh_%00abc"), ("delete", "/v1/webhooks/wh_%00abc"),
    ("post", "/v1/webhooks/wh_%00abc/rotate-secret"), ("get", "/v1/webhooks/wh_%00abc/deliveries"),
    ("post", "/v1/webhooks/wh_%00abc/deliveries/msg_%00x/retry"),
]


@pytest.mark.parametrize("method, path", NUL_IN_A_PATH)
def test_a_nul_in_an_id_is_a_json_404_on_every_database(client, auth, method, path):
    client.post("/v1/contacts", json={"email": "a@example.com"}, headers=auth)
    response = getattr(client, method)(path, headers=auth, **({"json": {"x": 1}} if method == "patch" else {}))
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_a_nul_in_a_cursor_or_query_is_400_invalid_query_on_every_database(client, auth):
    contact = client.post("/v1/contacts", json={"email": "a@example.com"}, headers=auth).get_json()
    webhook = client.post("/v1/webhooks", json={"url": "https://example.com/h", "events": ["contact.created"]},
                          headers=auth).get_json()
    for path in ("/v1/contacts?starting_after=con_%00abc", "/v1/contacts?ending_before=con_%00abc",
                 "/v1/contacts?email=a%00@example.com", f"/v1/contacts/{contact['id']}/submissions?starting_after=sub_%00x",
                 f"/v1/contacts/{contact['id']}/submissions?ending_before=sub_%00x",
                 f"/v1/webhooks/{webhook['id']}/deliveries?starting_after=msg_%00x"):
        response = client.get(path, headers=auth)
        assert response.status_code == 400, path
        assert response.get_json()["error"]["code"] == "invalid_query", path


@pytest.mark.parametrize("path", ["/v1/contacts/{id}", "/v1/contacts/{id}/submissions", "/v1/people/a@example.com",
                                  "/v1/webhooks", "/v1/webhooks/wh_x", "/v1/webhooks/wh_x/deliveries",
                                  "/v1/openapi.json"])
def test_options_on_a_secret_key_route_is_the_json_405(client, auth, path):
    contact = client.post("/v1/contacts", json={"email": "a@example.com"}, headers=auth).get_json()
    response = client.options(path.format(id=contact["id"]), headers=auth)
    assert response.status_code == 405 and response.is_json
    assert response.get_json() == {"error": {"message": "Method not allowed.", "code": "method_not_allowed"}}
    assert "OPTIONS" not in response.headers["Allow"] and "GET" in response.headers["Allow"]


def test_the_create_preflight_still_answers_any_origin(client):
    response = client.options("/v1/contacts", headers={"Origin": "https://site.example",
                                                       "Access-Control-Request-Method": "POST"})
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "https://site.example"
    assert response.headers["Access-Control-Allow-Methods"] == "POST"
