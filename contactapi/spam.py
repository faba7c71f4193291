"""Spam checks on a submission, in one place: `judge` runs them in order and says why a post is spam.

First the key's challenge (challenges.py), then the honeypots, then the key's content rules (spam_rules.py)."""
from dataclasses import dataclass

# Hidden fields people never see, so a value in one was typed by a bot: ours and Formspree's `_gotcha`,
# Web3Forms' `botcheck` (a hidden checkbox).
HONEYPOTS = ("_gotcha", "botcheck")


@dataclass(frozen=True)
class Verdict:
    """Why a submission is spam. blocked: the visitor is told it was refused (a failed challenge); otherwise
    the door answers its normal success, so a bot cannot tell (honeypots, content rules)."""

    reason: str                 # a stable code: "honeypot", "challenge_failed", "rule_links", …
    detail: str = ""            # for the owner's spam folder, e.g. which word or which rule
    blocked: bool = False


from . import challenges, spam_rules  # noqa: E402  (after Verdict, which they return)


def honeypot_filled(body):
    """True when a bot filled one of the hidden fields: its value is true in JavaScript's sense (not null,
    false, 0, "", [] or {}), and a list when one of its values is, as the OpenAPI document says."""
    return any(_filled(body.get(name)) for name in HONEYPOTS)


def _filled(value):
    if isinstance(value, list):  # a repeated form field (two `_gotcha` inputs): empty unless one was typed in
        return any(_filled(item) for item in value)
    return value not in (None, False, "", {}) and not (isinstance(value, (int, float)) and value == 0)


def judge(principal, body):
    """The first reason this submission is spam for this key, or None when it is not.

    Only public (publishable) keys face visitors' bots; a secret key is a backend's, refused from browsers,
    so its honeypot fields are control fields like any other and its writes are real."""
    if principal.is_secret:
        return None
    verdict = challenges.check(principal, body)
    if verdict is not None:
        return verdict
    if honeypot_filled(body):
        return Verdict("honeypot")
    return spam_rules.check(principal.rules, body)
