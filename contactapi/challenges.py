"""The challenge a publishable key may require of its visitors, in one place: which kinds exist, the control
fields their widgets post, `check`, the first of the spam checks (spam.judge), and `spend`, which uses a
solution up in the transaction that keeps the post (submit.py).

ALTCHA (altcha_proofs.py) is ours; the others are CAPTCHA providers (captchas.py) whose secret the owner
pastes in the dashboard, kept sealed (sealed.py). Secret keys (backends) are never asked for a challenge."""
from sqlalchemy import update

from . import altcha_proofs, captchas, sealed
from .database import write_transaction
from .extensions import db
from .models import ApiKey
from .spam import Verdict

KINDS = ("altcha", "turnstile", "hcaptcha", "recaptcha_v2", "recaptcha_v3")
LABELS = {"altcha": "ALTCHA", **{kind: provider.label for kind, provider in captchas.PROVIDERS.items()}}
ALTCHA_FIELD = "altcha"
# The fields the widgets post: control fields, never stored.
FIELDS = frozenset({ALTCHA_FIELD, *captchas.TOKEN_FIELDS})
FAILED = "The challenge was not solved, or its solution has expired or was already used. Please try again."


class SolutionSpent(Exception):
    """Another post of the same solution was kept first (both passed `check` at once): this one failed."""

    verdict = Verdict("challenge_failed", detail=f"{LABELS['altcha']}: replayed", blocked=True)


def check(principal, body):
    """Verdict("challenge_failed", blocked=True) when the key requires a challenge this body does not pass.
    It only reads: a solution that passes is spent by `spend`, once the post is kept."""
    kind = principal.challenge
    if principal.is_secret or kind not in KINDS:
        return None
    if kind == "altcha":
        why = altcha_proofs.refusal(principal.key_id, body.get(ALTCHA_FIELD))
    else:
        why = _provider_refusal(principal, kind, body)
    return None if why is None else Verdict("challenge_failed", detail=f"{LABELS[kind]}: {why}", blocked=True)


def spend(principal, body, connection):
    """Use up the ALTCHA solution this body passed `check` with, in the caller's write transaction (connection),
    the one that keeps the post: so a post refused after `check` (its fields) never spends it, and of two posts
    of one solution only the first kept passes (the other waits for its commit). SolutionSpent for the other.
    Providers' tokens need nothing here: each provider uses its token up when `check` verifies it."""
    if principal.is_secret or principal.challenge != "altcha":
        return
    if not altcha_proofs.spend(connection, body.get(ALTCHA_FIELD)):
        raise SolutionSpent()


def _provider_refusal(principal, kind, body):
    if principal.challenge_secret is None:
        return "no_secret"  # the owner has not pasted the provider's secret: nothing can pass
    try:
        secret = sealed.unseal(principal.challenge_secret)
    except sealed.Unreadable:
        return "no_secret"
    return captchas.refusal(kind, secret, principal.challenge_threshold,
                            body.get(captchas.PROVIDERS[kind].token_field))


def masked_secret(key):
    """The key's provider secret as the dashboard shows it again (its last four characters), or None."""
    if not key.challenge_secret:
        return None
    try:
        secret = sealed.unseal(key.challenge_secret)
    except sealed.Unreadable:
        return "unreadable since SECRET_KEY changed: paste it again"
    return f"…{secret[-4:]}" if len(secret) > 8 else "…"


def configure(key, kind, site_key=None, secret=None, threshold=None):
    """Set a publishable key's challenge (None: none). For a provider, site_key is public, secret is sealed
    (None keeps the one stored), threshold is reCAPTCHA v3's minimum score. ValueError on a bad setting."""
    if kind is not None and kind not in KINDS:
        raise ValueError(f"challenge must be one of {', '.join(KINDS)}")
    if kind is not None and key.kind != "publishable":
        raise ValueError("Only publishable keys can require a challenge.")
    if kind in captchas.PROVIDERS and not (site_key or "").strip():
        raise ValueError("Paste the provider's site key.")
    if kind in captchas.PROVIDERS and not (secret or "").strip() and not (key.challenge == kind and key.challenge_secret):
        raise ValueError("Paste the provider's secret key.")
    if threshold is not None and not 0.0 <= threshold <= 1.0:
        raise ValueError("The score threshold is between 0.0 and 1.0.")
    provider = kind in captchas.PROVIDERS
    values = {
        "challenge": kind,
        "challenge_site_key": site_key.strip() if provider else None,
        "challenge_threshold": (captchas.DEFAULT_THRESHOLD if threshold is None else threshold)
        if kind == "recaptcha_v3" else None,
    }
    if not provider:
        values["challenge_secret"] = None
    elif (secret or "").strip():
        values["challenge_secret"] = sealed.seal(secret.strip())
    with write_transaction() as session:
        session.execute(update(ApiKey).where(ApiKey.id == key.id).values(**values))
    db.session.refresh(key)
