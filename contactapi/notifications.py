"""Owner notifications: one email per stored submission, when the key's notification flag is on."""
import json

from flask import current_app

from . import mailer

SUBJECT_LENGTH = 120


def _one_line(text):
    """Text safe for a Subject header: no line breaks (header injection), not too long."""
    text = " ".join(str(text).split())
    return text if len(text) <= SUBJECT_LENGTH else text[: SUBJECT_LENGTH - 1] + "…"


def _shown(value):
    """A field value as the owner reads it: strings as typed, anything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def subject_for(contact, fields, subject=None):
    if subject:  # the form's own _subject (or Web3Forms' subject), already one line
        return _one_line(subject)
    subject = fields.get("subject")
    if isinstance(subject, str) and subject.strip():
        return _one_line(f"New submission: {subject}")
    return _one_line(f"New submission from {contact['email']}")


def notify_owner(principal, contact, fields, created, *, subject=None, reply_to=None, from_name=None):
    """Email the key's owner about a submission that was just stored, after the response.

    subject, reply_to and from_name come from the form's control fields (single-line): the mail's Subject,
    Reply-To (the visitor's address unless the form named another) and the sender name shown.
    Returns the mail's Future, or None when the key does not notify. Sending happens on the mailer's
    background threads: a slow or dead mail server neither slows nor fails the submission, and a failure
    is logged there."""
    if not principal.notify:
        return None
    return mailer.send_later(
        principal.owner_email,
        subject_for(contact, fields, subject),
        "notification",
        contact=contact,
        fields=[(name, _shown(value)) for name, value in fields.items()],
        created=created,
        reply_to=reply_to,
        from_name=from_name,
        key_id=principal.key_id,
        base_url=current_app.config["BASE_URL"],
    )
