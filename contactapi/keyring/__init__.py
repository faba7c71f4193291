"""What key holders and site owners see in the browser: the key request page (and its JSON twin),
emailed links, and the dashboard of keys and contacts."""
from flask import Blueprint

bp = Blueprint("keyring", __name__)

from . import (  # noqa: E402,F401  (views register themselves on bp)
    autoresponse_links, contact_pages, export_pages, filters, inbox_pages, key_pages, links, overview_pages,
    person_pages, recipient_pages, spam_pages, unsubscribe, views, webhook_pages,
)
