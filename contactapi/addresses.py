"""The one rule for email addresses: validate (syntax only) and normalise."""
import re
from functools import lru_cache

import email_validator
from email_validator import EmailNotValidError, validate_email

# Syntax only: email-validator refuses special-use domains (.test, .local, .invalid, .onion …) as undeliverable
# unless its documented SPECIAL_USE_DOMAIN_NAMES setting says otherwise. Nothing here is looked up, so none is.
email_validator.SPECIAL_USE_DOMAIN_NAMES = []


# The fast path: a plain ASCII address (dot-atom local part, letters-digits-hyphens domain of two labels or
# more ending in a letters-only TLD, no "--" that IDNA would judge) is one email-validator would accept as
# it is called below, lowercased: checked by a property test against email-validator itself
# (tests/test_addresses_fast_path.py). Anything else, valid or not, goes to email-validator.
_ATOM = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_PLAIN_ADDRESS = re.compile(rf"(?=[^@]{{1,64}}@)(?:{_ATOM}(?:\.{_ATOM})*)@(?!.*--)(?=.{{1,253}}\Z)"
                            rf"(?:{_LABEL}\.)+[a-z]{{2,63}}", re.ASCII)


def plain_address(value):
    """value lowercased when it is a plain ASCII address (see _PLAIN_ADDRESS), else None (ask email-validator)."""
    lowered = value.lower()
    if len(lowered) <= 254 and _PLAIN_ADDRESS.fullmatch(lowered):
        return lowered
    return None


class InvalidEmail(ValueError):
    """The value is not a usable email address; the message says why."""


def normalise_email(value):
    """The address trimmed, lowercased, with its domain in one spelling (Unicode, not xn--)."""
    if not isinstance(value, str):
        raise InvalidEmail("email must be a string")
    return _normalise(value.strip())


@lru_cache(maxsize=4096)  # a pure function, and the same addresses come back (upserts, filters, sign-ins)
def _normalise(value):
    if not value:
        raise InvalidEmail("email is required")
    plain = plain_address(value)
    if plain is not None:
        return plain
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError as error:
        raise InvalidEmail(f"email is not a valid email address: {error}") from None
    return f"{result.local_part}@{result.domain}".lower()


def spellings(email):
    """A normalised address and, if its domain is internationalised, the same address as an ASCII-only
    header writes it (xn--), when its local part is ASCII: how to find it in text we did not normalise."""
    if email.isascii():
        return [email]
    ascii_email = validate_email(email, check_deliverability=False).ascii_email
    return [email, ascii_email.lower()] if ascii_email else [email]


# Gmail delivers v.ictim@googlemail.com to victim@gmail.com: dots in its local parts are not part of the name.
_DOTLESS_DOMAINS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}


def inbox(email):
    """The mailbox an address delivers to, for counting the mail it gets: normalised, its +tag removed
    (victim+1@example.com and Victim@example.com reach the same person), and on Gmail its dots too."""
    local, _, domain = normalise_email(email).rpartition("@")
    local = local.split("+", 1)[0] or local
    if domain in _DOTLESS_DOMAINS:
        local, domain = local.replace(".", "") or local, _DOTLESS_DOMAINS[domain]
    return f"{local}@{domain}"
