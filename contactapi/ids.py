"""Identifiers: `con_…`, `key_…`, `sub_…` and key material, all from `secrets` (or derived from a keyed digest)."""
import base64
import secrets
import string

_ALNUM = string.ascii_letters + string.digits


def random_id(prefix, length=16):
    """prefix + length random lowercase alphanumerics: base32 of `secrets` bytes, 5 bits a character
    (16 give 80 bits). One call to the system's random source instead of one per character."""
    return derived_id(prefix, secrets.token_bytes((length * 5 + 7) // 8), length)


def derived_id(prefix, seed, length=16):
    """An id shaped like random_id's, made from seed's bytes (a keyed digest): the same seed, the same id."""
    return prefix + base64.b32encode(seed).decode("ascii")[:length].lower()


def random_token(length=32):
    """length random letters and digits: 32 give about 190 bits."""
    return "".join(secrets.choice(_ALNUM) for _ in range(length))
