"""The shape every feature uses to declare what it holds about a person (see people.py, which lists them)."""
import json
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Text, cast, false, func, or_, select

from .addresses import inbox
from .digests import keyed_digest, keyed_digests
from .models import Contact

contacts = Contact.__table__


@dataclass(frozen=True)
class Part:
    """What one feature stores about an address in an account, and how to hand it over or erase it.

    find(connection, account_id, email) → a list of JSON-ready records; erase(connection, account_id, email)
    → how many rows went. Both run on the caller's connection, inside its transaction; email is normalised.
    tables names every table the part covers (a test checks that every table is covered by some part)."""

    name: str
    tables: tuple
    find: Callable
    erase: Callable


def address_digest(email):
    """How the erasure list knows an address: a keyed digest of its normalised form, never the address."""
    return keyed_digest("person-address", email)


def address_digests(email):
    """Every digest the address may have been stored under: SECRET_KEY's, then each fallback's."""
    return keyed_digests("person-address", email)


def inbox_digest(email):
    """How the autoresponders' limits and stop links know a mailbox: the digest of addresses.inbox, so
    victim+1@gmail.com and v.ictim@googlemail.com are the one person that victim@gmail.com is."""
    return address_digest(inbox(email))


def _like_pattern(text):
    """A LIKE pattern matching text anywhere, case-insensitively, with LIKE's own wildcards escaped."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def holds_address(column, email):
    """A condition: the column's JSON text has a string that is the address (or any text), in any letter case.

    The whole string, quotes included, so x-jo@example.com does not count as jo@example.com. JSON text
    spells non-ASCII as \\u escapes, so the address is looked for as JSON spells it."""
    return func.lower(cast(column, Text)).like(_like_pattern(json.dumps(email)), escape="\\")


def contact_ids(connection, account_id, email):
    """The ids of the account's contacts that have the address (one at most). What was written about a contact
    (a queued notification, a stored answer) names the address it had then, and its id, which stays when a
    PATCH changes the address: by the id, the person is found under the new address too."""
    return list(connection.execute(select(contacts.c.id).where(
        contacts.c.account_id == account_id, contacts.c.email == email)).scalars())


def holds_any(column, texts):
    """A condition: the column's JSON text has a string that is one of texts (as holds_address)."""
    return or_(false(), *(holds_address(column, text) for text in texts))
