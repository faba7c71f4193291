"""The /v1 JSON API blueprint."""
from flask import Blueprint


class JsonApiBlueprint(Blueprint):
    """A blueprint whose routes get no automatic OPTIONS: Flask's would answer 200 with an empty HTML body,
    where every /v1 answer is JSON and an unsupported method is the JSON 405 with Allow. A route that serves
    a CORS preflight declares its OPTIONS itself (cors.py), or opts back in with provide_automatic_options=True."""

    def add_url_rule(self, rule, endpoint=None, view_func=None, provide_automatic_options=None, **options):
        if provide_automatic_options is None:
            provide_automatic_options = False
        super().add_url_rule(rule, endpoint, view_func, provide_automatic_options, **options)


bp = JsonApiBlueprint("api", __name__, url_prefix="/v1")

from .. import ratelimits  # noqa: E402
from . import challenge, contacts, openapi, people, webhooks  # noqa: E402,F401  (views register themselves on bp)

ratelimits.announce_standard_headers(bp)
