"""Mail from templates (text + HTML), rendered when it is queued: the outbox stores what to send and a
worker sends it later (deliveries/mail.py), so no request ever waits on a mail server."""
import json

from flask import render_template

from . import sealed
from .deliveries.outbox import NORMAL, Outgoing

SUBJECT_LENGTH = 120


def one_line(text, limit=SUBJECT_LENGTH):
    """Text safe for a header: no line breaks (header injection), at most limit characters."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render(to, subject, template, headers=None, from_name=None, **context):
    """The message whose bodies are templates/email/<template>.txt and .html, as the outbox stores it.
    from_name: who the mail is from, shown before our sender address ("Ada via contactapi")."""
    return {
        "to": to,
        "from_name": one_line(from_name, 80) if from_name else None,
        "subject": one_line(subject),
        "headers": {name: one_line(value, 2000) for name, value in (headers or {}).items()},
        "text": render_template(f"email/{template}.txt", **context),
        "html": render_template(f"email/{template}.html", **context),
    }


def outgoing(to, subject, template, *, topic, account_id=None, about=None, priority=NORMAL, secret=False,
             headers=None, from_name=None, **context):
    """A mail delivery to queue. secret: the mail carries a link that works, so the stored copy is sealed.
    about: the address the mail concerns, if not the recipient (an erasure of that person deletes it)."""
    message = render(to, subject, template, headers, from_name, **context)
    payload = {"to": to, "sealed": sealed.seal(json.dumps(message))} if secret else message
    return Outgoing("mail", topic, payload, account_id=account_id, email=about or to, priority=priority)


def message_of(payload):
    """The message a mail delivery's payload holds (opening a sealed one)."""
    return json.loads(sealed.unseal(payload["sealed"])) if "sealed" in payload else payload
