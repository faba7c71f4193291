"""GET /docs: the API reference, rendered on the server from the OpenAPI document (no script, no CDN)."""
from functools import cache

from flask import Blueprint, current_app, render_template

from .openapi import document

bp = Blueprint("docs", __name__)


@cache
def _reference(base_url):
    """Built once per process: the document never changes while it runs. The reference module (and
    markdown-it with it) is imported here, by the workers that serve /docs, not by every worker at startup."""
    from . import reference

    return reference.build(document(base_url))


@bp.get("/docs")
def index():
    return render_template("docs/index.html", reference=_reference(current_app.config["BASE_URL"]))
