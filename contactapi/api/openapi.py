"""GET /v1/openapi.json: an OpenAPI 3.1 description of exactly what /v1 does."""
from flask import current_app

from ..errors import CODES
from ..pagination import MAX_PAGE, MAX_PAGE_SIZE
from ..payloads import READ_ONLY_FIELDS
from . import bp

TIMESTAMP = {"type": "string", "format": "date-time"}
CONTACT_ID = {"type": "string", "pattern": "^con_[a-z0-9]{12,}$"}


HTML_PAGE = {"text/html": {"schema": {"type": "string"}}}


def _error_response(description, browser_forms=False):
    """An error answer; browser form posts (no Accept: application/json) get an HTML page instead."""
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    return {"description": description, "content": {**content, **HTML_PAGE} if browser_forms else content}


def _errors(*statuses, browser_forms=False):
    descriptions = {
        400: "The body or query is invalid.",
        401: "Missing or invalid API key.",
        403: "The key may not do this (a publishable key on a secret-key endpoint, or a domain mismatch).",
        404: "No contact with that id in this account.",
        409: "Another contact already has this email.",
        413: "The body is larger than 64 KiB.",
        415: "Unsupported media type.",
        429: "Rate limited; see Retry-After.",
    }
    responses = {str(status): _error_response(descriptions[status], browser_forms) for status in statuses}
    return {**responses, "414": URI_TOO_LONG}


# gunicorn refuses a request line over 4 KiB before the app sees it, with its own HTML page.
URI_TOO_LONG = {"description": "The request line is longer than 4 KiB (answered by the HTTP server).",
                "content": HTML_PAGE}


def _json(schema_name, description):
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_name}"}}},
    }


PAGE_PARAMETERS = [
    {"name": "page", "in": "query", "required": False,
     "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}},
    {"name": "page_size", "in": "query", "required": False,
     "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": 20}},
]
CONTACT_ID_PARAMETER = {"name": "contact_id", "in": "path", "required": True, "schema": {"type": "string"}}
SECRET = [{"secretKey": []}]
ANY_KEY = [{"secretKey": []}, {"publishableKey": []}]


def _page_of(item_ref):
    return {
        "type": "object",
        "required": ["data", "page", "page_size", "total", "total_pages"],
        "properties": {
            "data": {"type": "array", "items": {"$ref": item_ref}},
            "page": {"type": "integer", "minimum": 1},
            "page_size": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
            "total": {"type": "integer", "minimum": 0},
            "total_pages": {"type": "integer", "minimum": 0},
        },
    }


def _read_only_properties():
    return {name: {"not": {}} for name in READ_ONLY_FIELDS}


def _schemas():
    return {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {"error": {
                "type": "object",
                "required": ["message", "code"],
                "properties": {"message": {"type": "string"}, "code": {"type": "string", "examples": sorted(set(CODES.values()))}},
            }},
        },
        "Contact": {
            "type": "object",
            "required": ["id", "email", "created_at", "updated_at"],
            "properties": {"id": CONTACT_ID, "email": {"type": "string"}, "created_at": TIMESTAMP, "updated_at": TIMESTAMP},
            "additionalProperties": True,
        },
        "ContactCreate": {
            "type": "object",
            "required": ["email"],
            "properties": {
                "email": {"type": "string", "format": "email", "maxLength": 254},
                "access_key": {"type": "string", "description": "The key, when it is not in the Authorization header."},
                **_read_only_properties(),
            },
            "additionalProperties": True,
            "description": "email plus any other fields, saved as sent. Nesting is limited to 16 levels.",
        },
        "ContactPatch": {
            "type": "object",
            "properties": {"email": {"type": "string", "format": "email", "maxLength": 254}, **_read_only_properties()},
            "additionalProperties": True,
            "description": "A JSON merge patch (RFC 7396): omitted fields are kept, null removes a field.",
        },
        "Deleted": {
            "type": "object",
            "required": ["id", "deleted"],
            "properties": {"id": {"type": "string"}, "deleted": {"const": True}},
        },
        "Submission": {
            "type": "object",
            "required": ["id", "contact_id", "key_id", "fields", "created_at"],
            "properties": {
                "id": {"type": "string"}, "contact_id": CONTACT_ID, "key_id": {"type": ["string", "null"]},
                "fields": {"type": "object"}, "created_at": TIMESTAMP,
            },
        },
        "HoneypotAccepted": {
            "type": "object", "required": ["success"], "properties": {"success": {"const": True}},
            "description": "A form post whose _gotcha honeypot was filled: answered as a success, nothing stored.",
        },
        "ContactPage": _page_of("#/components/schemas/Contact"),
        "SubmissionPage": _page_of("#/components/schemas/Submission"),
    }


def _paths():
    create_body = {"$ref": "#/components/schemas/ContactCreate"}
    return {
        "/v1/contacts": {
            "post": {
                "operationId": "createContact",
                "summary": "Create a contact, or update the one with this email (upsert).",
                "description": "A JSON object, or a browser form (key in access_key). Control fields access_key, "
                               "_gotcha (honeypot) and _next are never stored.",
                "security": ANY_KEY,
                "requestBody": {"required": True, "content": {
                    "application/json": {"schema": create_body},
                    "application/x-www-form-urlencoded": {"schema": create_body},
                    "multipart/form-data": {"schema": create_body},
                }},
                "responses": {
                    "201": _json("Contact", "Created. With a publishable key the answer holds only the fields "
                                            "this request sent, never fields stored earlier."),
                    "200": {"description": "Updated in place (or a honeypot post, answered but not stored).",
                            "content": {"application/json": {"schema": {"oneOf": [
                                {"$ref": "#/components/schemas/Contact"},
                                {"$ref": "#/components/schemas/HoneypotAccepted"}]}}}},
                    "303": {"description": "A browser form post: redirect to _next or the thank-you page."},
                    **_errors(400, 401, 403, 413, 415, 429, browser_forms=True),
                },
            },
            "get": {
                "operationId": "listContacts",
                "summary": "List contacts, newest first.",
                "security": SECRET,
                "parameters": PAGE_PARAMETERS + [
                    {"name": "email", "in": "query", "required": False, "schema": {"type": "string"}}],
                "responses": {"200": _json("ContactPage", "A page of contacts."), **_errors(400, 401, 403, 429)},
            },
        },
        "/v1/contacts/{contact_id}": {
            "parameters": [CONTACT_ID_PARAMETER],
            "get": {
                "operationId": "getContact", "security": SECRET,
                "responses": {"200": _json("Contact", "The contact."), **_errors(401, 403, 404, 429)},
            },
            "patch": {
                "operationId": "patchContact", "security": SECRET,
                "requestBody": {"required": True, "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/ContactPatch"}},
                    "application/merge-patch+json": {"schema": {"$ref": "#/components/schemas/ContactPatch"}},
                }},
                "responses": {"200": _json("Contact", "The whole contact after the patch."),
                              **_errors(400, 401, 403, 404, 409, 413, 415, 429)},
            },
            "delete": {
                "operationId": "deleteContact", "security": SECRET,
                "responses": {"200": _json("Deleted", "Deleted."), **_errors(401, 403, 404, 429)},
            },
        },
        "/v1/contacts/{contact_id}/submissions": {
            "parameters": [CONTACT_ID_PARAMETER],
            "get": {
                "operationId": "listSubmissions", "security": SECRET, "parameters": PAGE_PARAMETERS,
                "responses": {"200": _json("SubmissionPage", "Every POST that reached this contact, newest first."),
                              **_errors(400, 401, 403, 404, 429)},
            },
        },
    }


def document():
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "contactapi",
            "version": "1.0.0",
            "description": "Save contacts: POST an email and any other fields; manage them with simple CRUD.",
        },
        "servers": [{"url": current_app.config["BASE_URL"]}],
        "components": {
            "securitySchemes": {
                "secretKey": {"type": "http", "scheme": "bearer", "description": "ck_secret_… (every endpoint)"},
                "publishableKey": {"type": "http", "scheme": "bearer", "description": "ck_pub_… (create only)"},
            },
            "schemas": _schemas(),
        },
        "paths": _paths(),
    }


@bp.get("/openapi.json")
def openapi_json():
    return document()
