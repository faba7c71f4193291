"""The one rule for email addresses: validate (syntax only) and normalise."""
from functools import lru_cache

import email_validator
from email_validator import EmailNotValidError, validate_email

# Syntax only: email-validator refuses special-use domains (.test, .local, .invalid, .onion …) as undeliverable
# unless its documented SPECIAL_USE_DOMAIN_NAMES setting says otherwise. Nothing here is looked up, so none is.
email_validator.SPECIAL_USE_DOMAIN_NAMES = []


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
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError as error:
        raise InvalidEmail(f"email is not a valid email address: {error}") from None
    return f"{result.local_part}@{result.domain}".lower()


def inbox(email):
    """The mailbox an address delivers to, for counting the mail it gets: normalised, its +tag removed
    (victim+1@example.com and Victim@example.com reach the same person)."""
    local, _, domain = normalise_email(email).rpartition("@")
    return f"{local.split('+', 1)[0] or local}@{domain}"
