"""Keyed digests: how we recognise a value again without keeping it (a person's address, a request body).

HMAC-SHA256 under a key derived from SECRET_KEY for each purpose, so a digest made for one purpose is
useless for another, and nobody without SECRET_KEY can test guesses against a stored digest.
Changing SECRET_KEY makes earlier digests unrecognisable (README: Configuration)."""
import hashlib
import hmac

from flask import current_app


def _purpose_key(purpose):
    secret = current_app.config["SECRET_KEY"].encode("utf-8")
    return hmac.new(secret, b"contactapi digest key: " + purpose.encode("ascii"), hashlib.sha256).digest()


def keyed_digest(purpose, value):
    """The hex HMAC-SHA256 of value (str or bytes) under this purpose's key."""
    data = value.encode("utf-8") if isinstance(value, str) else value
    return hmac.new(_purpose_key(purpose), data, hashlib.sha256).hexdigest()
