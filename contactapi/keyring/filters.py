"""Template filters of the keyring pages: contact fields and times as people read them."""
import json
from datetime import datetime
from urllib.parse import urlsplit

from markupsafe import Markup, escape

from . import bp


@bp.app_template_filter("field_text")
def field_text(value):
    """A contact field as text: strings as they are, anything else (numbers, lists, objects) as JSON."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


@bp.app_template_filter("when")
def when(moment, seconds=False):
    """A UTC time for people ("2026-11-21 05:55 UTC"), from a datetime or the API's ISO 8601 text."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.removesuffix("Z"))
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC" if seconds else "%Y-%m-%d %H:%M UTC")


@bp.app_template_filter("key_label")
def key_label(key):
    """What a key is called on every page: its name, else its masked value."""
    return key.name or key.display


@bp.app_template_filter("web_link")
def web_link(url):
    """url if it is an http(s) address fit for a link, else None (a Referer can say anything)."""
    return url if isinstance(url, str) and urlsplit(url).scheme in ("http", "https") else None


@bp.app_template_filter("email_breaks")
def email_breaks(email):
    """An address that may wrap only after its @ or before a dot, never inside a word."""
    text = str(escape(email))
    return Markup('<span class="email">' + text.replace("@", "@<wbr>").replace(".", "<wbr>.") + "</span>")
