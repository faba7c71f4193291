"""Browser form posts: the hosted thank-you page and codefreeform's /api/contact-api/."""
from flask import Blueprint

bp = Blueprint("forms", __name__)

from . import views  # noqa: E402,F401
