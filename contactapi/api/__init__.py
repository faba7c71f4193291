"""The /v1 JSON API blueprint."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/v1")

from .. import ratelimits  # noqa: E402
from . import challenge, contacts, openapi, people, webhooks  # noqa: E402,F401  (views register themselves on bp)

ratelimits.announce_standard_headers(bp)
