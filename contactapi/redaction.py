"""The one rule for what a log line may not carry: secret keys, tokens of emailed links, webhook and CAPTCHA
secrets, cookies and credentials. Publishable keys are public and stay readable.

gunicorn's access log applies it (gunicorn.conf.py); the log format in deploy/nginx.conf mirrors it with
maps, and tests/test_redaction.py keeps the two in step."""
import re

from werkzeug.routing import BaseConverter

REDACTED = "[redacted]"

# Paths whose next segment is the token of an emailed link. A route carrying such a token declares it with the
# `secret` converter (`/link/<secret:token>`); tests check that every such route's prefix is listed here and
# in deploy/nginx.conf, so a new token route cannot reach a log unredacted.
TOKEN_PATH_PREFIXES = ("/link/", "/unsubscribe/", "/recipients/confirm/", "/confirm/", "/autoresponses/stop/")

# Values that are secrets wherever they appear: secret API keys, webhook signing secrets ("_" may come
# percent-encoded as %5F). They start a word, or follow a percent-escape (%20ck_secret_…, %22whsec_…), where
# no word boundary is.
SECRET_VALUE = re.compile(r"(?:(?<!\w)|(?<=%[0-9A-Fa-f]{2}))(?:ck(?:_|%5F)secret|whsec)(?:_|%5F)[^\s&\"'/?#;,]*",
                          re.IGNORECASE)

# Query parameters whose value is a secret whatever it looks like (CAPTCHA answers and secrets included).
SECRET_PARAMETERS = ("token", "secret", "password", "signature", "captcha", "response")
SECRET_PARAMETER = re.compile(
    r"([?&][^=&\s\"]*(?:" + "|".join(SECRET_PARAMETERS) + r")[^=&\s\"]*=)[^&\s\"#]*", re.IGNORECASE
)

TOKEN_PATH = re.compile(
    "(" + "|".join(re.escape(prefix) for prefix in TOKEN_PATH_PREFIXES) + r")[^\s?#\"]+"
)

# Each pattern with its replacement, in the order they apply.
_RULES = ((TOKEN_PATH, r"\1" + REDACTED), (SECRET_PARAMETER, r"\1" + REDACTED), (SECRET_VALUE, REDACTED))

# Request headers that carry credentials: never logged, whatever their value.
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"})


def redact(text):
    """text (a request line, a URL, a header value) with every secret in it replaced by [redacted]."""
    if not text or not isinstance(text, str):
        return text
    for pattern, replacement in _RULES:
        if pattern.search(text):  # most values hold no secret, and a sub costs more than a search that fails
            text = pattern.sub(replacement, text)
    return text


def redact_header(name, value):
    """A request header's value as a log line may show it."""
    return REDACTED if name.lower() in SECRET_HEADERS else redact(value)


class SecretConverter(BaseConverter):
    """`<secret:token>`: a path segment that is a secret (see TOKEN_PATH_PREFIXES)."""


def register(app):
    """Let routes declare the secrets in their paths (before the blueprints add their rules)."""
    app.url_map.converters["secret"] = SecretConverter
