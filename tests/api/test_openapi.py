"""GET /v1/openapi.json: the document kept in openapi.yaml describes every /v1 route the server has, the
values that come from code match the code, its links and references resolve, and its examples hold."""
import ast
import re
from pathlib import Path

import pytest

import contactapi
from contactapi.errors import CODES, MESSAGES
from contactapi.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE, MAX_PAGE_SIZE
from contactapi.payloads import READ_ONLY_FIELDS

METHODS = ("get", "put", "post", "patch", "delete", "options", "head")
# Calls whose argument at this index (or code=) is an error code the API answers with.
ERROR_CALLS = {"json_error": 2, "render_error": 2, "AuthError": 2, "PayloadError": 2, "IdempotencyError": 1,
               "SubmitError": 2, "Problem": 2, "WebhookError": 2}


@pytest.fixture
def document(client):
    response = client.get("/v1/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def operations(document):
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def deref(document, node):
    """node with its $ref (if any) followed, recursively at the top level."""
    while isinstance(node, dict) and "$ref" in node:
        target = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def test_document_is_openapi_31_with_a_license(document):
    assert document["openapi"] == "3.1.0"
    assert document["info"]["license"]["identifier"]
    assert set(document["components"]["schemas"]) >= {"Contact", "Error", "ContactPage", "Submission"}


def test_servers_come_from_base_url(make_app):
    client = make_app(BASE_URL="https://contacts.example.org").test_client()
    assert client.get("/v1/openapi.json").get_json()["servers"] == [
        {"url": "https://contacts.example.org", "description": "This server."}]


FORM_DOORS = ("/f/", "/submit", "/api/contact-api/")


def test_every_v1_route_and_form_door_is_documented(app, document):
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(("/v1/", *FORM_DOORS)):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            automatic = {"HEAD"} | ({"OPTIONS"} if rule.provide_automatic_options else set())
            routes |= {(path, method.lower()) for method in rule.methods - automatic}
    assert routes == {(path, method) for path, method, _ in operations(document)}


def _honours_idempotency_key(view):
    """Whether the view, under its other decorators, is wrapped by api/idempotency.py's @idempotent."""
    while view is not None:
        if view.__code__.co_qualname == "idempotent.<locals>.wrapper":
            return True
        view = getattr(view, "__wrapped__", None)
    return False


def test_idempotency_key_is_documented_exactly_where_the_code_honours_it(app, document):
    honoured = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/v1/") and _honours_idempotency_key(app.view_functions[rule.endpoint]):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            honoured |= {(path, method.lower()) for method in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(path, method) for path, method, operation in operations(document)
                  if {"$ref": "#/components/parameters/IdempotencyKey"} in operation.get("parameters", [])}
    assert ("/v1/webhooks", "post") in honoured and honoured == documented


def test_every_operation_has_summary_id_tag_and_examples(document):
    ids = [operation["operationId"] for _, _, operation in operations(document)]
    assert len(ids) == len(set(ids))
    for path, method, operation in operations(document):
        assert operation["summary"] and operation["tags"], (path, method)
        for media in operation.get("requestBody", {}).get("content", {}).values():
            assert media.get("examples"), (path, method)
        successes = [deref(document, response) for status, response in operation["responses"].items()
                     if status.startswith("2")]
        for response in successes:
            for media_type, media in response.get("content", {}).items():
                assert media.get("examples") or media.get("example"), (path, method, media_type)


def test_page_limits_match_the_code(document):
    parameters = document["components"]["parameters"]
    assert parameters["Page"]["schema"] == {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}
    assert parameters["PageSize"]["schema"] == {
        "type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": DEFAULT_PAGE_SIZE}
    page_size = document["components"]["schemas"]["PageInfo"]["properties"]["page_size"]
    assert page_size["maximum"] == MAX_PAGE_SIZE


def test_read_only_fields_match_the_code(document):
    schemas = document["components"]["schemas"]
    contact = schemas["Contact"]["properties"]
    assert {name for name, schema in contact.items() if schema.get("readOnly")} == set(READ_ONLY_FIELDS)
    assert set(schemas["WritableFieldName"]["not"]["enum"]) == set(READ_ONLY_FIELDS)
    writable = {"$ref": "#/components/schemas/WritableFieldName"}
    assert schemas["ContactPatch"]["propertyNames"] == writable
    for name in ("ContactCreate", "ContactForm", "ContactMultipartForm"):
        assert schemas[name]["propertyNames"] == writable
    for name in ("ContactCreate", "ContactForm", "ContactMultipartForm", "ContactPatch"):
        assert not set(schemas[name]["properties"]) & set(READ_ONLY_FIELDS)


def _codes_in_source():
    """Every error code the package passes to an error call, plus the codes of plain HTTP errors."""
    found = set(CODES.values())
    for path in Path(contactapi.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            arguments = [k.value for k in node.keywords if k.arg == "code"]
            if name in ERROR_CALLS and len(node.args) > ERROR_CALLS[name]:
                arguments.append(node.args[ERROR_CALLS[name]])
            if name == "getattr" and len(node.args) == 3 and getattr(node.args[1], "value", None) == "code":
                arguments.append(node.args[2])  # getattr(error, "code", default)
            found |= {a.value for a in arguments if isinstance(a, ast.Constant) and isinstance(a.value, str)}
    return found


def test_error_codes_match_the_code(document):
    code = document["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]
    assert set(code["examples"]) == _codes_in_source()


def test_body_limit_and_nesting_depth_match_the_code(app, document):
    limit = f"larger than {app.config['MAX_CONTENT_LENGTH'] // 1024} KiB"
    assert limit in MESSAGES[413]
    responses = document["components"]["responses"]
    assert limit in responses["PayloadTooLarge"]["description"]
    assert limit in responses["PayloadTooLargeOrPage"]["description"]
    depth = f"{app.config['MAX_JSON_DEPTH']} levels"
    schemas = document["components"]["schemas"]
    assert depth in schemas["ContactCreate"]["description"] and depth in schemas["ContactPatch"]["description"]
    assert limit.removeprefix("larger than ") in document["info"]["description"]
    assert depth in document["info"]["description"]


def test_error_responses_are_documented_for_each_operation(document):
    paths = document["paths"]
    create = paths["/v1/contacts"]["post"]["responses"]
    assert {"200", "201", "303", "400", "401", "403", "413", "414", "415", "429"} <= set(create)
    patch = paths["/v1/contacts/{contact_id}"]["patch"]["responses"]
    assert {"200", "400", "401", "403", "404", "409", "413", "415", "429"} <= set(patch)
    for path, method, operation in operations(document):
        if operation.get("security", document["security"]):
            assert {"401", "429"} <= set(operation["responses"]), (path, method)


def test_every_reference_resolves(document):
    def walk(node):
        if isinstance(node, dict):
            if "$ref" in node:
                deref(document, node)  # KeyError when it points nowhere
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)


def test_links_join_create_get_patch_delete_and_submissions(document):
    by_id = {operation["operationId"]: (path, operation) for path, _, operation in operations(document)}
    followed = set()
    for _, _, operation in operations(document):
        for response in operation["responses"].values():
            for link in deref(document, response).get("links", {}).values():
                link = deref(document, link)
                path, target = by_id[link["operationId"]]
                declared = {p["name"] for p in map(lambda p: deref(document, p),
                                                    document["paths"][path].get("parameters", []))}
                assert set(link["parameters"]) <= declared
                followed.add((operation["operationId"], link["operationId"]))
    assert {("createContact", "getContact"), ("createContact", "patchContact"),
            ("createContact", "deleteContact"), ("createContact", "listSubmissions"),
            ("getContact", "patchContact"), ("patchContact", "getContact")} <= followed


def test_the_create_and_patch_examples_hold(client, auth, document):
    """The documented request examples do what the documented answers say, as stored and read back."""
    item = document["paths"]["/v1/contacts/{contact_id}"]
    create = document["paths"]["/v1/contacts"]["post"]
    sent = create["requestBody"]["content"]["application/json"]["examples"]["json"]["value"]
    created = client.post("/v1/contacts", json=sent, headers=auth)
    assert created.status_code == 201
    contact_id = created.get_json()["id"]
    stored = client.get(f"/v1/contacts/{contact_id}", headers=auth).get_json()
    example = deref(document, create["responses"]["201"]["content"]["application/json"]["examples"]["created"])
    assert set(stored) == set(example["value"])
    assert {k: stored[k] for k in sent} == {k: example["value"][k] for k in sent}

    patch = item["patch"]["requestBody"]["content"]["application/json"]["examples"]["patch"]["value"]
    response = client.patch(f"/v1/contacts/{contact_id}", json=patch, headers=auth)
    assert response.status_code == 200
    stored = client.get(f"/v1/contacts/{contact_id}", headers=auth).get_json()
    patched = item["patch"]["responses"]["200"]["content"]["application/json"]["examples"]["patched"]["value"]
    assert set(stored) == set(patched)


def test_special_use_domains_are_documented_as_accepted(client, auth, document):
    assert ".test" in document["info"]["description"]
    for address in ("ada@site.test", "ada@printer.local", "ada@x.invalid", "ada@hidden.onion"):
        response = client.post("/v1/contacts", json={"email": address}, headers=auth)
        assert response.status_code == 201, (address, response.get_json())
        found = client.get("/v1/contacts", query_string={"email": address}, headers=auth).get_json()
        assert [contact["email"] for contact in found["data"]] == [address]


def test_a_filled_honeypot_fools_bots_on_public_keys_and_never_judges_a_backend(client, auth, make_key):
    """As the document says: with a publishable key a filled honeypot gets the usual 201 (a bot cannot tell)
    and nothing is stored; a secret key's write is a backend's, validated and stored like any other."""
    public = {"Authorization": f"Bearer {make_key(kind='publishable')}"}
    for body in ({"_gotcha": "bot", "email": "not an address"}, {"_gotcha": True, "id": "con_x"}, {"_gotcha": [1]}):
        response = client.post("/v1/contacts", json=body, headers=public)
        assert response.status_code == 201 and response.get_json()["id"].startswith("con_"), body
    assert client.get("/v1/contacts", headers=auth).get_json()["total"] == 0
    assert client.post("/v1/contacts", json={"_gotcha": "x", "email": "not an address"}, headers=auth).status_code == 400
    created = client.post("/v1/contacts", json={"_gotcha": "x", "email": "ada@example.com", "n": 1}, headers=auth)
    assert created.status_code == 201
    stored = client.get(f"/v1/contacts/{created.get_json()['id']}", headers=auth).get_json()
    assert stored["n"] == 1 and "_gotcha" not in stored


def test_no_schema_gains_a_key_from_an_unquoted_comma(document):
    """In a YAML flow mapping, `description: a, b` makes `b` a key of the schema: redocly refuses it."""
    slips = []

    def walk(node, path):
        if isinstance(node, dict):
            if "type" in node or "$ref" in node:
                slips.extend("/".join(path + [key]) for key in node
                             if " " in str(key) and path[-1:] != ["properties"])
            for key, value in node.items():
                walk(value, path + [str(key)])
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, path + [str(index)])

    walk(document, [])
    assert slips == []
