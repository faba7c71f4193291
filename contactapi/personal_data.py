"""The shape every feature uses to declare what it holds about a person (see people.py, which lists them)."""
import json
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Text, cast, func


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


def _like_pattern(text):
    """A LIKE pattern matching text anywhere, case-insensitively, with LIKE's own wildcards escaped."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def holds_address(column, email):
    """A condition: the column's JSON text has a string that is the address, in any letter case.

    The whole string, quotes included, so x-jo@example.com does not count as jo@example.com. JSON text
    spells non-ASCII as \\u escapes, so the address is looked for as JSON spells it."""
    return func.lower(cast(column, Text)).like(_like_pattern(json.dumps(email)), escape="\\")
