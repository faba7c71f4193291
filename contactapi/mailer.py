"""Mail from templates (text + HTML), rendered when it is sent: the outbox stores what the mail says (to,
subject, headers, sender name) and what renders its bodies (a template name and a JSON context), and a worker
renders and sends it later (deliveries/mail.py). No request waits on a mail server or on rendering."""
import json

from flask import render_template

from . import sealed
from .deliveries.outbox import NORMAL, Outgoing

SUBJECT_LENGTH = 120
ENVELOPE = ("to", "from_name", "subject", "headers")  # a message besides its bodies, stored as is (not rendered)


ENCODED_WORD_START = "=?"
_WORD_JOINER = "\u2060"  # invisible: the text reads as typed


def one_line(text, limit=SUBJECT_LENGTH):
    """Text safe for a header: no line breaks (header injection), at most limit characters.

    An RFC 2047 encoded-word ("=?utf-8?q?…=0D=0A…?=") is text too: the email package decodes one in a header
    value it is given, and Python before 3.11.10 writes a CR/LF it decodes out as is (CVE-2024-6923), a second
    From: and anything else a visitor likes. So "=?" never reaches a header as such."""
    text = " ".join(str(text).split()).replace(ENCODED_WORD_START, "=" + _WORD_JOINER + "?")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render(template, context):
    """The bodies of templates/email/<template>.txt and .html. Only an app context is needed (the worker has
    no request): templates get every link ready-made in context, never through url_for."""
    return {"text": render_template(f"email/{template}.txt", **context),
            "html": render_template(f"email/{template}.html", **context)}


def outgoing(to, subject, template, *, topic, account_id=None, about=None, priority=NORMAL, secret=False,
             headers=None, from_name=None, **context):
    """A mail delivery to queue, rendered by the worker that sends it: context must be plain JSON values.
    from_name: who the mail is from, shown before our sender address ("Ada via contactapi").
    secret: the mail carries a link that works, so the stored copy is sealed (only to and subject in clear).
    about: the address the mail concerns, if not the recipient (an erasure of that person deletes it)."""
    stored = {"to": to, "from_name": one_line(from_name, 80) if from_name else None, "subject": one_line(subject),
              "headers": {name: one_line(value, 2000) for name, value in (headers or {}).items()},
              "template": template, "context": context}
    payload = {"to": to, "subject": stored["subject"], "sealed": sealed.seal(json.dumps(stored))} if secret else stored
    return Outgoing("mail", topic, payload, account_id=account_id, email=about or to, priority=priority)


def message_of(payload):
    """The message a mail delivery's payload holds (opening a sealed one, rendering its bodies): to, from_name,
    subject, headers, text and html. Earlier releases queued them rendered already: those are sent as they are."""
    stored = json.loads(sealed.unseal(payload["sealed"])) if "sealed" in payload else payload
    if "template" not in stored:
        return stored
    return {**{name: stored[name] for name in ENVELOPE}, **render(stored["template"], stored["context"])}
