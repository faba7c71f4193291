"""Spam checks on a submission, in one place: today the honeypots; challenges and per-key rules join here."""

# Hidden fields people never see, so a value in one was typed by a bot: ours and Formspree's `_gotcha`,
# Web3Forms' `botcheck` (a hidden checkbox).
HONEYPOTS = ("_gotcha", "botcheck")


def honeypot_filled(body):
    """True when a bot filled one of the hidden fields: its value is true in JavaScript's sense (not null,
    false, 0, "", [] or {}), as the OpenAPI document says."""
    return any(_filled(body.get(name)) for name in HONEYPOTS)


def _filled(value):
    return value not in (None, False, "", [], {}) and not (isinstance(value, (int, float)) and value == 0)


def is_spam(principal, body):
    """Does this submission look like spam for this key? (principal: for the per-key rules to come.)

    Only public (publishable) keys face visitors' bots; a secret key is a backend's, refused from browsers,
    so its honeypot fields are control fields like any other and its writes are real."""
    return not principal.is_secret and honeypot_filled(body)
