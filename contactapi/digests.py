"""Keyed digests: how we recognise a value again without keeping it (a person's address, a request body).

HMAC-SHA256 under a key derived from SECRET_KEY for each purpose, so a digest made for one purpose is
useless for another, and nobody without SECRET_KEY can test guesses against a stored digest.
Changing SECRET_KEY makes earlier digests unrecognisable, unless the old key stays in SECRET_KEY_FALLBACKS
(keyed_digests: README, Configuration)."""
import hashlib
import hmac

from flask import current_app

from .config import secret_keys


def _digest(secret_key, purpose, value):
    purpose_key = hmac.new(secret_key.encode("utf-8"), b"contactapi digest key: " + purpose.encode("ascii"),
                           hashlib.sha256).digest()
    data = value.encode("utf-8") if isinstance(value, str) else value
    return hmac.new(purpose_key, data, hashlib.sha256).hexdigest()


def keyed_digest(purpose, value):
    """The hex HMAC-SHA256 of value (str or bytes) under this purpose's key: what is stored or sent now."""
    return _digest(current_app.config["SECRET_KEY"], purpose, value)


def keyed_digests(purpose, value):
    """value's digest under SECRET_KEY, then under each of SECRET_KEY_FALLBACKS: what a digest made before a
    rotation may equal, so a list of digests outlives the key that made them while that key is a fallback."""
    return [_digest(secret_key, purpose, value) for secret_key in secret_keys(current_app.config)]
