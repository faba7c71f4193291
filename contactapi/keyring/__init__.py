"""What key holders and site owners see in the browser: the key request page (and its JSON twin),
emailed links, and the dashboard of keys and contacts."""
from flask import Blueprint

bp = Blueprint("keyring", __name__)

from . import contact_pages, filters, key_pages, links, person_pages, recipient_pages, unsubscribe, views, webhook_pages  # noqa: E402,F401,E501  (views register themselves on bp)
