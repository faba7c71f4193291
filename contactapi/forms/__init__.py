"""The public form doors other services' clients know, and the pages their visitors see:
codefreeform's /api/contact-api/, Formspree's /f/<key>, Web3Forms' /submit, the hosted thank-you page."""
from flask import Blueprint

from .. import ratelimits

bp = Blueprint("forms", __name__)
ratelimits.announce_standard_headers(bp)

from . import codefreeform, formspree, views, web3forms  # noqa: E402,F401
