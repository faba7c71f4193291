"""Random identifiers: `con_…`, `key_…`, `sub_…` and key material, all from `secrets`."""
import secrets
import string

_LOWER_ALNUM = string.ascii_lowercase + string.digits
_ALNUM = string.ascii_letters + string.digits


def random_id(prefix, length=16):
    """prefix + length random lowercase alphanumerics (16 give about 82 bits)."""
    return prefix + "".join(secrets.choice(_LOWER_ALNUM) for _ in range(length))


def random_token(length=32):
    """length random letters and digits: 32 give about 190 bits."""
    return "".join(secrets.choice(_ALNUM) for _ in range(length))
