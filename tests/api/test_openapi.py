"""GET /v1/openapi.json describes every /v1 route the server has, and its examples hold."""


def test_document_is_openapi_31(client):
    response = client.get("/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"] == "3.1.0"
    assert set(document["components"]["schemas"]) >= {"Contact", "Error", "ContactPage", "Submission"}


def test_every_v1_route_is_documented(app, client):
    documented = client.get("/v1/openapi.json").get_json()["paths"]
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/v1/") or rule.rule == "/v1/openapi.json":
            continue
        path = rule.rule.replace("<contact_id>", "{contact_id}")
        assert path in documented, path
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in documented[path], (method, path)


def test_error_codes_documented_for_each_operation(client):
    paths = client.get("/v1/openapi.json").get_json()["paths"]
    create = paths["/v1/contacts"]["post"]["responses"]
    assert {"200", "201", "400", "401", "403", "413", "415", "429"} <= set(create)
    assert {"200", "400", "401", "403", "404", "409", "415"} <= set(paths["/v1/contacts/{contact_id}"]["patch"]["responses"])
