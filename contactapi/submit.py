"""The one submit flow every public door calls.

read the body (the one reader) and find its key → count the request (a secret key's budget, else the client
IP's) → authenticate the key → refuse secret keys from browsers (those three in submit_keys.py) → domain lock →
spam checks (a failed challenge is refused) → the fields → upsert, spending the challenge's solution, and queue
deliveries. Anything refused raises SubmitError (status, message, a stable code,
the field at fault); each door only maps a request in and a Submitted or SubmitError out."""
from dataclasses import dataclass, field as dataclass_field
from functools import partial

from . import challenges, keys, notifications, origins, spam, spam_folder, storage
from .addresses import InvalidEmail, normalise_email
from .contact_limits import ContactTooLarge
from .autoresponders import sending as autoresponders
from .errors import FORM_TYPES
from .digests import keyed_digest
from .ids import derived_id, random_id
from .payloads import submitted_body
from .spam import Verdict
from .submission_fields import (Controls, Door, FieldsRefused, Problem, contact_fields, control_free, controls_of,
                                present)
from .submit_errors import SubmitError
from .submit_keys import authenticate, read_and_count, refuse_secret_keys_from_browsers

__all__ = ["submit", "Door", "Visit", "Submitted", "Controls", "SubmitError", "Problem"]

DOMAIN_MISMATCH = "Verification key domain mismatch."
SUCCESS_TARGETS = ("_next", "redirect", "success_url")
ERROR_TARGETS = ("_error", "error_url")


@dataclass(frozen=True)
class Visit:
    """What the flow needs from the HTTP request, read by the door (no request object past this point)."""

    read_body: object                # () → the body as a dict; PayloadError when it is refused
    bearer_key: str | None = None    # from Authorization: Bearer
    path_key: str | None = None      # /f/<key>: wins over any access_key in the body
    origin: str | None = None
    referer: str | None = None
    form_body: bool = False          # the body is a form post (urlencoded or multipart)
    source: storage.Source = storage.Source()  # the page and browser the submission came from (never the IP)
    client_ip: str | None = None     # only counted by the autoresponse limits (as a keyed digest), never stored

    @property
    def from_browser(self):
        return self.form_body or self.origin is not None

    @classmethod
    def of(cls, request, bearer_key=None, path_key=None):
        return cls(
            read_body=lambda: submitted_body(request),
            bearer_key=bearer_key, path_key=path_key, origin=request.headers.get("Origin"),
            referer=request.headers.get("Referer"), form_body=request.mimetype in FORM_TYPES,
            source=storage.Source.from_headers(request.headers), client_ip=request.remote_addr,
        )


@dataclass(frozen=True)
class Submitted:
    """A submission the flow accepted. spam: the verdict when it was judged spam: no contact was stored,
    contact is None, and contact_id, email and fields are what a real success would have shown, so the bot
    cannot tell."""

    principal: keys.Principal
    contact_id: str
    email: str | None
    fields: dict
    contact: dict | None = None
    created: bool = False
    spam: Verdict | None = None
    next_url: str | None = None      # where a browser goes now: an admitted _next, else the key's default
    controls: Controls = dataclass_field(default_factory=Controls)


def submit(door, visit):
    """Run one submission through the flow; returns Submitted or raises SubmitError."""
    body, principal = {}, None
    try:
        body, principal = read_and_count(visit)
        principal = authenticate(visit, body, principal)
        refuse_secret_keys_from_browsers(door, visit, principal)
        if not principal.is_secret and not origins.key_admits(principal.domains, visit.origin, visit.referer):
            raise SubmitError(403, DOMAIN_MISMATCH, "domain_mismatch")
        try:
            return _judged_and_kept(door, visit, principal, body)
        except challenges.SolutionSpent as spent:  # by another post of it, kept while this one was judged
            _refuse_failed_challenge(door, visit, principal, body, spent.verdict)
    except SubmitError as error:
        error.principal = error.principal or principal
        error.error_url = _admitted_target(principal, visit, body, ERROR_TARGETS)
        raise


def _judged_and_kept(door, visit, principal, body):
    """Judge the post (spam.judge only reads), then keep it: in the spam folder, or as a contact.

    Its challenge's solution is spent in the very transaction that keeps it (challenges.spend), never before:
    a post refused for its own fields (400) or size (413) leaves the solution unspent, so the visitor's
    corrected resend passes ("a solution is accepted once": that one never was). The fields are still read
    after every spam check, so their errors tell a bot nothing: a replayed or missing solution is refused
    first, and a honeypot hit is told it worked whatever its fields."""
    verdict = spam.judge(principal, body)
    if verdict is not None and verdict.blocked:
        _refuse_failed_challenge(door, visit, principal, body, verdict)
    spend = partial(challenges.spend, principal, body)  # spend(connection), in the keeping transaction
    if verdict is not None:  # told it worked: a success like any other (honeypots, content rules)
        email, fields = _keep_as_spam(door, visit, principal, body, verdict, also=spend)
        return Submitted(principal, _decoy_id(principal, email), email, fields, spam=verdict,
                         next_url=_success_target(principal, visit, body))
    email, fields = _fields(door, body)
    fields = principal.rules.kept(fields)
    controls = controls_of(door, body, normalise_email(email))
    contact, created = store(principal, email, fields, visit.source, controls, visit.client_ip, also=spend)
    return Submitted(principal, contact["id"], contact["email"], fields, contact, created,
                     next_url=_success_target(principal, visit, body), controls=controls)


def _refuse_failed_challenge(door, visit, principal, body, verdict):
    """A failed challenge: the visitor is told (403); the post is kept only in the spam folder."""
    _keep_as_spam(door, visit, principal, body, verdict)
    raise SubmitError(403, challenges.FAILED, "challenge_failed")


def _fields(door, body):
    try:
        return contact_fields(door, body)
    except FieldsRefused as refused:
        raise SubmitError(400, refused.message, refused.code, refused.problems[0].field, refused.problems) from None


def _keep_as_spam(door, visit, principal, body, verdict, also=None):
    """Keep a submission judged spam in the spam folder as sent (never a contact, no delivery); returns the
    (email, fields) a real success would have shown: the address normalised, the key's kept fields.
    also(connection), when given, writes in that transaction too."""
    fields = control_free(door, body)
    fields.pop("email", None)
    email = next((body[name] for name in door.email_from if present(body.get(name))), body.get("email"))
    spam_folder.keep(principal, email, fields, verdict, visit.source, also=also)
    try:
        email = normalise_email(email)
    except InvalidEmail:  # a real post would be refused; the bot is still told it worked, as before
        email = email if isinstance(email, str) else None
    return email, principal.rules.kept(fields)


def _decoy_id(principal, email):
    """The id a spam post is answered with: like a real contact's, the same for the same address on the
    account (a random one per post would tell a bot), derived from a keyed digest, never stored."""
    try:
        seed = keyed_digest("decoy-contact-id", f"{principal.account_id}\n{normalise_email(email)}")
    except InvalidEmail:
        return random_id("con_")
    return derived_id("con_", bytes.fromhex(seed))


def store(principal, email, fields, source, controls, client_ip=None, also=None):
    """Upsert the contact and, in the same transaction, queue the deliveries it causes (the outbox): the
    owner's notification and webhooks, then the submitter's autoresponse if one may go.
    also(connection), when given, writes in that transaction too (the spam folder's "Not spam")."""
    notify = notifications.after_submission(
        principal, fields, mail_owner=controls.notify, subject=controls.subject, reply_to=controls.reply_to,
        from_name=controls.from_name)
    respond = autoresponders.after_submission(principal, fields, client_ip)

    def then(connection, contact, created, submission_id, heard_by):
        if also is not None:
            also(connection)
        return [*notify(connection, contact, created, submission_id, heard_by), *respond(connection, contact, heard_by)]

    try:
        return storage.upsert(principal.account_id, email, fields, principal.key_id, source=source,
                              keep_fields_when_full=not principal.is_secret, then=then, if_new=notify.if_new)
    except ContactTooLarge as error:
        raise SubmitError(413, str(error), "contact_too_large") from None


def _admitted_target(principal, visit, body, names):
    """The first of these URL fields that the key's domain rule admits, else None."""
    if principal is None:
        return None
    for name in names:
        url = body.get(name)
        if isinstance(url, str) and origins.redirect_allowed(url, principal.domains, visit.origin, visit.referer):
            return url.strip()
    return None


def _success_target(principal, visit, body):
    return _admitted_target(principal, visit, body, SUCCESS_TARGETS) or principal.success_url
