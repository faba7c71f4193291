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


MAX_CASED_LETTERS = 6  # non-ASCII letters whose case is tried both ways (2 ** 6 spellings at most)


def _letter_cases(text):
    """text in every letter case of its non-ASCII letters: SQL's lower() cannot fold them in JSON text, where
    É is the escape \\u00c9 and é is \\u00e9 (ASCII letters are folded by lower() itself)."""
    spellings = [""]
    cased = 0
    for character in text:
        both = {character.lower(), character.upper()} if not character.isascii() else {character}
        both = {c for c in both if len(c) == 1}  # ß's upper case is SS: two letters, not a spelling of it
        if len(both) > 1:
            cased += 1
        if cased > MAX_CASED_LETTERS:
            both = {character}
        spellings = [spelled + c for spelled in spellings for c in sorted(both)]
    return spellings


def holds_address(column, email, under=None):
    """A condition: the column's JSON text has a string that is the address (or any text), in any letter case;
    with under, only as the value of a member of that name (as json.dumps writes it: `"name": "value"`).

    The whole string, quotes included, so x-jo@example.com does not count as jo@example.com. JSON text
    spells non-ASCII as \\u escapes, so the address is looked for as JSON spells it, in each letter case."""
    text, member = func.lower(cast(column, Text)), "" if under is None else json.dumps(under) + ": "
    return or_(*(text.like(_like_pattern(member + json.dumps(spelled)), escape="\\")
                 for spelled in _letter_cases(email)))


def contact_ids(connection, account_id, email):
    """The ids of the account's contacts that have the address (one at most). What was written about a contact
    (a queued notification, a stored answer) names the address it had then, and its id, which stays when a
    PATCH changes the address: by the id, the person is found under the new address too."""
    return list(connection.execute(select(contacts.c.id).where(
        contacts.c.account_id == account_id, contacts.c.email == email)).scalars())


def holds_any(column, texts):
    """A condition: the column's JSON text has a string that is one of texts (as holds_address)."""
    return or_(false(), *(holds_address(column, text) for text in texts))
