"""ALTCHA, the self-hosted proof of work: make a challenge for a publishable key, verify a solution once.

The `altcha` package (2.x, ALTCHA's v2 protocol, the one the `altcha` 3.x widget speaks) makes and verifies;
we add the HMAC key (derived from SECRET_KEY, never SECRET_KEY itself), the key the challenge was made for,
and the memory of used challenges (the used_challenges table: shared by every worker and host), written by
`spend` in the transaction that keeps the post (challenges.spend)."""
import hashlib
import time
from datetime import datetime, timezone

import altcha
from flask import current_app
from sqlalchemy import delete, select

from .config import secret_keys
from .database import insert_statement, read_connection
from .models import UsedChallenge, utcnow
from .sealed import derived_key

ALGORITHM = "PBKDF2/SHA-256"
used = UsedChallenge.__table__
_INFO = b"contactapi altcha hmac v1"


def _hmac_keys():
    """The current key first (it signs), then those of SECRET_KEY_FALLBACKS (challenges made before a rotation)."""
    return [derived_key(k, _INFO) for k in secret_keys(current_app.config)]


def new_challenge(key_id):
    """A signed v2 challenge for this publishable key, as the widget fetches it (JSON-ready dict)."""
    config = current_app.config
    challenge = altcha.create_challenge(
        algorithm=ALGORITHM, cost=config["ALTCHA_COST"], expires_at=int(time.time()) + config["ALTCHA_EXPIRY"],
        data={"key": key_id}, hmac_secret=_hmac_keys()[0])
    return challenge.to_dict()


def refusal(key_id, payload):
    """Why this solution is refused ("missing", "invalid", "expired", "other_key", "replayed"), or None when it
    passes; only reads: `spend` marks its challenge used."""
    if not isinstance(payload, str) or not payload.strip() or len(payload) > 4096:
        return "missing"
    try:
        parsed = altcha.Payload.from_base64(payload.strip())
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return "invalid"
    try:
        result = next((r for r in (altcha.verify_solution(parsed, key) for key in _hmac_keys())
                       if not r.invalid_signature), None)
    except (ValueError, TypeError, AttributeError):  # a payload of the right shape holding values of the wrong type
        return "invalid"
    if result is None:
        return "invalid"
    if result.expired:
        return "expired"
    if not result.verified:
        return "invalid"
    parameters = parsed.challenge.parameters
    if not isinstance(parameters.data, dict) or parameters.data.get("key") != key_id:
        return "other_key"
    if not isinstance(parameters.expires_at, int):
        return "invalid"  # ours always expire; one that never does could be replayed for ever
    return "replayed" if _used(parsed.challenge.signature) else None


def spend(connection, payload):
    """Remember the challenge of this solution (one `refusal` passed) until it expires, in the caller's write
    transaction; False when another post already spent it (on any worker or host)."""
    challenge = altcha.Payload.from_base64(payload.strip()).challenge
    expires = datetime.fromtimestamp(challenge.parameters.expires_at, timezone.utc).replace(tzinfo=None)
    connection.execute(delete(used).where(used.c.expires_at < utcnow()))  # prune the expired
    remembered = insert_statement(used).values(digest=_digest(challenge.signature), expires_at=expires)
    inserted = connection.execute(remembered.on_conflict_do_nothing().returning(used.c.digest)).first()
    return inserted is not None  # (rowcount is -1 for this statement on psycopg)


def _used(signature):
    with read_connection() as connection:
        found = connection.execute(select(used.c.digest).where(used.c.digest == _digest(signature))).first()
    return found is not None


def _digest(signature):
    return hashlib.sha256(signature.encode("utf-8")).hexdigest()
