"""Every /v1 error is JSON of one shape, including routing errors and crashes."""


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
