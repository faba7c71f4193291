"""Keys: make one, digest it, show it masked, and find who holds it."""
import hashlib
import threading
import time
from dataclasses import dataclass

from cachetools import TTLCache
from flask import current_app
from sqlalchemy import delete, func, select

from . import key_uses
from .database import write_transaction
from .extensions import db
from .ids import random_id, random_token
from .models import Account, ApiKey
from .origins import normalise_domain
from .spam_rules import ContentRules

PREFIXES = {"secret": "ck_secret_", "publishable": "ck_pub_"}
KINDS = tuple(PREFIXES)
_ANY_PREFIX = tuple(PREFIXES.values())
KEY_CACHE_SIZE = 10_000
_CACHE = "contactapi.key_cache"  # app.extensions key of this worker's cache and last-use batch


class KeyLimitReached(Exception):
    def __init__(self, limit):
        super().__init__(f"You have reached the maximum of {limit} active keys.")


@dataclass(frozen=True)
class Principal:
    """Who a request's key proves it is: the key and the account behind it."""

    key_id: str
    kind: str
    account_id: int
    owner_email: str
    domains: tuple
    notify: bool
    success_url: str | None = None          # where visitors go after a submission, unless the form says
    thank_you_message: str | None = None    # shown on the hosted thank-you page
    challenge: str | None = None            # the proof its visitors must give (challenges.py), or None
    challenge_secret: str | None = None     # a provider's secret, sealed (sealed.py)
    challenge_threshold: float | None = None  # reCAPTCHA v3's minimum score
    rules: ContentRules = ContentRules()    # its content rules (spam_rules.py); none for a secret key

    @property
    def is_secret(self):
        return self.kind == "secret"


def digest(raw_key):
    return hashlib.sha256(raw_key.encode("utf-8")).hexdigest()


def display_form(raw_key):
    """The key masked for lists and emails: its prefix and last four characters."""
    prefix = next((p for p in PREFIXES.values() if raw_key.startswith(p)), "")
    return f"{prefix}…{raw_key[-4:]}"


def normalise_domains(domains):
    """Domain-lock entries cleaned and deduplicated, in the order given; ValueError on a bad one."""
    cleaned = []
    for entry in domains or ():
        domain = normalise_domain(entry)
        if domain not in cleaned:
            cleaned.append(domain)
    return cleaned


def active_key_count(account_id):
    query = select(func.count()).select_from(ApiKey).where(
        ApiKey.account_id == account_id, ApiKey.status == "active"
    )
    return db.session.scalar(query)


def _room_for_one_more(account_id):
    """Inside a write transaction: raise KeyLimitReached unless the account may have one more active key.

    The account row is locked first (FOR UPDATE on PostgreSQL; SQLite writers are already serialised),
    so two concurrent creations cannot both see room for the tenth key."""
    db.session.execute(select(Account.id).where(Account.id == account_id).with_for_update())
    limit = current_app.config["MAX_ACTIVE_KEYS"]
    if active_key_count(account_id) >= limit:
        raise KeyLimitReached(limit)


def create_key(account, kind, name="", domains=(), notify=None):
    """A new active key for account; returns (ApiKey, raw key). The raw key is never stored if secret."""
    if kind not in PREFIXES:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    domains = domains_for(kind, domains)
    raw = PREFIXES[kind] + random_token()
    with write_transaction() as session:
        _room_for_one_more(account.id)
        key = ApiKey(
            id=random_id("key_"),
            account_id=account.id,
            kind=kind,
            digest=digest(raw),
            display=display_form(raw),
            public_value=raw if kind == "publishable" else None,
            name=(name or "").strip()[:100],
            status="active",
            domains=domains,
            notify=(kind == "publishable") if notify is None else bool(notify),
        )
        session.add(key)
    return key, raw


def set_status(key, status):
    """Disable or re-enable a key; enabling respects the active-key limit."""
    with write_transaction():
        if status == "active" and key.status != "active":
            _room_for_one_more(key.account_id)
        key.status = status
        db.session.add(key)


def keys_of(account_id):
    query = select(ApiKey).where(ApiKey.account_id == account_id).order_by(ApiKey.created_at.desc())
    return db.session.scalars(query).all()


def _load_principal(key_digest):
    row = db.session.execute(
        select(ApiKey, Account.email)
        .join(Account, Account.id == ApiKey.account_id)
        .where(ApiKey.digest == key_digest, ApiKey.status == "active")
    ).first()
    if row is None:
        return None
    key, owner_email = row
    return principal_of(key, owner_email)


def principal_of(key, owner_email):
    """What a key proves, as the submit flow reads it: the key's settings and its owner's address."""
    return Principal(key_id=key.id, kind=key.kind, account_id=key.account_id, owner_email=owner_email,
                     domains=tuple(key.domains or ()), notify=key.notify, success_url=key.success_url,
                     thank_you_message=key.thank_you_message, challenge=key.challenge,
                     challenge_secret=key.challenge_secret, challenge_threshold=key.challenge_threshold,
                     rules=ContentRules.from_json(key.content_rules))


_MISSING = object()  # not in the cache (None is: no such key)


def _worker_state(app):
    """This worker's key cache (None when KEY_CACHE_TTL is 0) and last-use batch, made on first use."""
    state = app.extensions.get(_CACHE)
    if state is None:
        ttl = app.config["KEY_CACHE_TTL"]
        # The timer is looked up on each call, so a test can move time.monotonic.
        cache = TTLCache(KEY_CACHE_SIZE, ttl, timer=lambda: time.monotonic()) if ttl else None
        state = app.extensions[_CACHE] = (cache, threading.Lock(), key_uses.LastUses())
    return state


def authenticate(raw_key):
    """The Principal for a raw key, or None when it is unknown, malformed, disabled or deleted.

    Lookups are cached per worker for KEY_CACHE_TTL seconds, so a key disabled elsewhere
    stops working within that time on every worker. Its use is noted for last_used_at (key_uses.py)."""
    if not isinstance(raw_key, str) or not raw_key.startswith(_ANY_PREFIX) or len(raw_key) > 128:
        return None
    cache, lock, last_uses = _worker_state(current_app)
    key_digest = digest(raw_key)
    if cache is None:
        principal = _load_principal(key_digest)
    else:
        with lock:
            principal = cache.get(key_digest, _MISSING)
        if principal is _MISSING:
            principal = _load_principal(key_digest)
            with lock:
                cache[key_digest] = principal
    if principal is not None:
        last_uses.saw(principal.key_id)
        key_uses.write_when_due(last_uses)
    return principal


def is_disabled(raw_key):
    """True when raw_key is a publishable key its owner disabled (publishable keys are public: saying so
    reveals nothing; secret keys always get the one answer of an unknown key)."""
    if not isinstance(raw_key, str) or not raw_key.startswith(PREFIXES["publishable"]) or len(raw_key) > 128:
        return False
    status = db.session.scalar(select(ApiKey.status).where(ApiKey.digest == digest(raw_key)))
    return status == "disabled"


def set_visitor_pages(key, success_url, thank_you_message):
    """A publishable key's default redirect after a submission and its thank-you message (None: ours)."""
    with write_transaction():
        key.success_url = success_url or None
        key.thank_you_message = thank_you_message or None
        db.session.add(key)


def set_content_rules(key, rules):
    """Replace a publishable key's content rules (a spam_rules.ContentRules; every rule off: none stored)."""
    with write_transaction():
        key.content_rules = rules.as_json()
        db.session.add(key)


def public_key_by_id(key_id):
    """The publishable key with this id, or None (its id names it on public pages: no secret involved)."""
    if not isinstance(key_id, str) or not key_id.startswith("key_") or len(key_id) > 32:
        return None
    return db.session.scalar(select(ApiKey).where(ApiKey.id == key_id, ApiKey.kind == "publishable"))


def key_of(account_id, key_id):
    """The account's key with this id, or None (also when the id is another account's)."""
    return db.session.scalar(select(ApiKey).where(ApiKey.id == key_id, ApiKey.account_id == account_id))


def delete_key(key):
    """Delete a key for good; requests with it get the same 401 as an unknown key."""
    with write_transaction() as session:
        session.execute(delete(ApiKey).where(ApiKey.id == key.id, ApiKey.account_id == key.account_id))


def set_domains(key, domains):
    """Replace a publishable key's domain lock (an empty list admits any origin); ValueError on a bad entry."""
    domains = domains_for(key.kind, domains)
    with write_transaction():
        key.domains = domains
        db.session.add(key)


def set_notify(key, notify):
    """Turn the per-submission email to the owner on or off for this key."""
    with write_transaction():
        key.notify = bool(notify)
        db.session.add(key)


def domains_for(kind, domains):
    """The domain lock a new key of this kind would get; ValueError for a bad entry or a locked secret key."""
    domains = normalise_domains(domains)
    if domains and kind != "publishable":
        raise ValueError("Only publishable keys can be locked to domains.")
    return domains
