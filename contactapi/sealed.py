"""Secrets we must use again later (webhook signing secrets, CAPTCHA secrets, links waiting in the outbox),
stored encrypted: Fernet with keys derived from SECRET_KEY, and still readable under SECRET_KEY_FALLBACKS
so an operator can rotate SECRET_KEY without losing them.

`cryptography` is imported by the functions that use it: about 6.5 MB resident, which a worker that only
saves contacts and sends plain notifications never needs."""
import base64

from flask import current_app

from .config import secret_keys

_INFO = b"contactapi sealed secrets v1"


class Unreadable(ValueError):
    """Sealed under a key that is neither SECRET_KEY nor one of SECRET_KEY_FALLBACKS (or tampered with)."""


def derived_key(secret_key, info):
    """32 bytes for one purpose (info), derived from a SECRET_KEY with HKDF: never the key itself."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    key = secret_key.encode("utf-8") if isinstance(secret_key, str) else secret_key
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(key)


def _fernet(secret_key):
    from cryptography.fernet import Fernet

    return Fernet(base64.urlsafe_b64encode(derived_key(secret_key, _INFO)))


def _keys():
    """SECRET_KEY first (it seals), then each fallback (they only open)."""
    from cryptography.fernet import MultiFernet

    return MultiFernet([_fernet(k) for k in secret_keys(current_app.config)])


def seal(text):
    """text encrypted and authenticated under the current SECRET_KEY, as ASCII."""
    return _keys().encrypt(text.encode("utf-8")).decode("ascii")


def unseal(sealed):
    """The text seal() was given; Unreadable if no configured key opens it."""
    from cryptography.fernet import InvalidToken

    try:
        return _keys().decrypt(sealed.encode("ascii")).decode("utf-8")
    except InvalidToken:
        raise Unreadable("sealed under an unknown key (was SECRET_KEY changed without SECRET_KEY_FALLBACKS?)") from None
