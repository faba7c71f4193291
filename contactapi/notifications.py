"""What a stored submission causes: the owner's notification email (when the key's flag is on) and the
account's webhook events, all queued in the submission's own transaction (by storage.upsert: its `then`
returns them)."""
import json
from dataclasses import dataclass
from functools import lru_cache

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from . import mailer
from .config import signing_keys
from .deliveries import events

UNSUBSCRIBE_SALT = "contactapi.unsubscribe"


def _unsubscribe_serializer(keys):
    return URLSafeSerializer(keys, salt=UNSUBSCRIBE_SALT)


@dataclass(frozen=True)
class Unsubscribe:
    """What an unsubscribe link stops: the key's submission emails, or only an extra recipient's copies."""

    key_id: str
    recipient: str | None = None


@lru_cache(maxsize=1024)
def _unsubscribe_token(secret_key, key_id, recipient):
    # The same for every mail of a key (no timestamp in it): signed once per key, not once per submission.
    named = {"key": key_id} if recipient is None else {"key": key_id, "to": recipient}
    return _unsubscribe_serializer(secret_key).dumps(named)


def unsubscribe_url(key_id, recipient=None):
    """The one-click link (RFC 8058) that turns this key's notifications off, or, in an extra recipient's
    copy, stops that recipient's copies only (the owner's emails are not theirs to stop); it never expires."""
    config = current_app.config
    return f"{config['BASE_URL']}/unsubscribe/{_unsubscribe_token(config['SECRET_KEY'], key_id, recipient)}"


def unsubscribe_of(token):
    """The Unsubscribe a token names, or None when the token is not ours."""
    try:
        # A link mailed before a rotation still works: the list in the mail outlives the key that signed it.
        named = _unsubscribe_serializer(signing_keys(current_app.config)).loads(token)
        return Unsubscribe(str(named["key"]), named.get("to"))
    except (BadSignature, AttributeError, KeyError, TypeError):
        return None


def _shown(value):
    """A field value as the owner reads it: strings as typed, anything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def subject_for(contact, fields, subject=None):
    """The form's own subject (_subject, Web3Forms' subject) as given; else one naming the stored subject
    field (codefreeform's) or the submitter."""
    if isinstance(subject, str) and subject.strip():
        return mailer.one_line(subject)
    stored = fields.get("subject")
    if isinstance(stored, str) and stored.strip():
        return mailer.one_line(f"New submission: {stored}")
    return mailer.one_line(f"New submission from {contact['email']}")


def owner_mail(principal, contact, fields, created, subject=None, reply_to=None, from_name=None, to=None):
    """The notification to the key's owner (or to to, a confirmed extra recipient): Reply-To the submitter,
    so the owner just replies."""
    base_url = current_app.config["BASE_URL"]
    recipient = None if to is None or to == principal.owner_email else to  # an extra recipient's copy
    unsubscribe = unsubscribe_url(principal.key_id, recipient)
    headers = {"Reply-To": reply_to or contact["email"], "List-Unsubscribe": f"<{unsubscribe}>",
               "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    # Rendered by the worker that sends it, from this JSON: only what the template shows of the contact.
    return mailer.outgoing(
        to or principal.owner_email, subject_for(contact, fields, subject), "notification",
        topic="notification", account_id=principal.account_id, about=contact["email"], headers=headers,
        contact={"id": contact["id"], "email": contact["email"]}, created=created,
        fields=[(name, _shown(value)) for name, value in fields.items()], key_id=principal.key_id,
        base_url=base_url, from_name=from_name,
        contact_url=f"{base_url}/dashboard/contacts/{contact['id']}", unsubscribe_url=unsubscribe,
        extra_recipient=recipient is not None,
    )


class SubmissionNotices:
    """What a submission through principal's key causes, for storage.upsert: its `then` (calling the instance)
    and its `if_new`. mail_owner=False skips the owner's notification (a form's not_email_sent); subject,
    reply_to and from_name are the form's own values for the owner's mail, when it sent them."""

    def __init__(self, principal, fields, mail_owner=True, subject=None, reply_to=None, from_name=None):
        self.principal, self.fields = principal, fields
        self.mails_owner = mail_owner and principal.notify
        self.mail_options = {"subject": subject, "reply_to": reply_to, "from_name": from_name}
        self.owner_mailed_if_new = False  # if_new gave the owner's mail of a new contact: __call__ leaves it out

    def _mail(self, contact, created, to):
        return owner_mail(self.principal, contact, self.fields, created, to=to, **self.mail_options)

    def if_new(self, contact):
        """The deliveries a new contact causes whoever else listens: the owner's mail, which reads only the
        contact's id and address, so PostgreSQL queues it in the upsert's own statement (one round trip less)."""
        if not self.mails_owner:
            return []
        self.owner_mailed_if_new = True
        return [self._mail(contact, True, self.principal.owner_email)]

    def __call__(self, _connection, contact, created, submission_id, heard_by):
        """The deliveries to queue after the upsert: webhook events, then the mails (heard_by: the submission's
        audience.Audience, read by storage.upsert)."""
        outgoing = events.for_submission(heard_by.webhooks, self.principal.account_id, contact, created,
                                         self.fields, self.principal.key_id, submission_id)
        if self.mails_owner:
            owner = [] if created and self.owner_mailed_if_new else [self.principal.owner_email]
            outgoing += [self._mail(contact, created, to) for to in [*owner, *heard_by.recipients]]
        return outgoing


def after_submission(principal, fields, mail_owner=True, subject=None, reply_to=None, from_name=None):
    """The SubmissionNotices of a submission through principal's key."""
    return SubmissionNotices(principal, fields, mail_owner, subject, reply_to, from_name)
