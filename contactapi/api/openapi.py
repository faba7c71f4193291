"""GET /v1/openapi.json: the OpenAPI 3.1 document kept in openapi.yaml, served as JSON."""
from functools import cache
from pathlib import Path

from flask import current_app

from . import bp

DOCUMENT_PATH = Path(__file__).with_name("openapi.yaml")


@cache
def _parsed():
    """The YAML document, read and parsed once per process (PyYAML imported here, by the few workers
    that serve the document: it is not needed to save or read contacts)."""
    import yaml

    with DOCUMENT_PATH.open(encoding="utf-8") as source:
        return yaml.safe_load(source)


def document(base_url):
    """The document as this server describes itself: its one server is base_url."""
    return {**_parsed(), "servers": [{"url": base_url, "description": "This server."}]}


@bp.get("/openapi.json")
def openapi_json():
    return document(current_app.config["BASE_URL"])
