"""The one submit flow every public door calls.

read the body (the one reader) and find its key → count the request (a secret key's budget, else the client
IP's) → authenticate the key → refuse secret keys from browsers → domain lock → spam checks (a failed challenge
is refused) → upsert → queue deliveries. Anything refused raises SubmitError (status, message, a stable code,
the field at fault); each door only maps a request in and a Submitted or SubmitError out."""
from dataclasses import dataclass, field as dataclass_field

from flask import g

from . import challenges, keys, notifications, origins, ratelimits, spam, spam_folder, storage
from .addresses import InvalidEmail, normalise_email
from .contact_limits import ContactTooLarge
from .autoresponders import sending as autoresponders
from .errors import FORM_TYPES, MESSAGES
from .digests import keyed_digest
from .ids import derived_id, random_id
from .payloads import PayloadError, submitted_body
from .spam import Verdict
from .submission_fields import (Controls, Door, FieldsRefused, Problem, contact_fields, control_free, controls_of,
                                present)

__all__ = ["submit", "Door", "Visit", "Submitted", "Controls", "SubmitError", "Problem"]

MISSING_KEY = "Missing API key. Send Authorization: Bearer <key>."
INVALID_KEY = "Invalid API key."
SECRET_IN_BROWSER = "Secret keys must never be used in a web page: use a publishable key (ck_pub_…) here."
DOMAIN_MISMATCH = "Verification key domain mismatch."
SUCCESS_TARGETS = ("_next", "redirect", "success_url")
ERROR_TARGETS = ("_error", "error_url")


class SubmitError(Exception):
    """A submission refused: status, message, stable code, the field at fault (or None) and every problem.

    principal (when the key was known) and error_url (an admitted `_error`/`error_url`) let the door answer."""

    def __init__(self, status, message, code, field=None, problems=None):
        super().__init__(message)
        self.status, self.message, self.code, self.field = status, message, code, field
        self.problems = tuple(problems or [Problem(field, message, code)])
        self.principal, self.error_url = None, None


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
        body, principal = _read_and_count(visit)
        principal = _authenticate(visit, body, principal)
        _refuse_secret_keys_from_browsers(door, visit, principal)
        if not principal.is_secret and not origins.key_admits(principal.domains, visit.origin, visit.referer):
            raise SubmitError(403, DOMAIN_MISMATCH, "domain_mismatch")
        verdict = spam.judge(principal, body)
        if verdict is not None:
            email, fields = _keep_as_spam(door, visit, principal, body, verdict)
            if verdict.blocked:  # a failed challenge: the visitor is told; kept only in the spam folder
                raise SubmitError(403, challenges.FAILED, "challenge_failed")
            # told it worked: a success like any other (honeypots, content rules), so a bot cannot tell
            return Submitted(principal, _decoy_id(principal, email), email, fields, spam=verdict,
                             next_url=_success_target(principal, visit, body))
        email, fields = _fields(door, body)
        fields = principal.rules.kept(fields)
        controls = controls_of(door, body, normalise_email(email))
        contact, created = store(principal, email, fields, visit.source, controls, visit.client_ip)
    except SubmitError as error:
        error.principal = error.principal or principal
        error.error_url = _admitted_target(principal, visit, body, ERROR_TARGETS)
        raise
    return Submitted(principal, contact["id"], contact["email"], fields, contact, created,
                     next_url=_success_target(principal, visit, body), controls=controls)


def _read_and_count(visit):
    """(the body, the Principal of its key or None), the request counted first against one budget: a secret
    key's own, wherever the key came from (Authorization or an access_key in the body): "per key only";
    else the client's IP, whatever the body holds, so a body the reader refuses, a missing or an invalid key
    are limited too. The body is read before the count because only the body may name the key; at most
    MAX_CONTENT_LENGTH, and a 429 still wins over the body's own refusal."""
    header_principal = keys.authenticate(visit.bearer_key) if visit.bearer_key else None
    try:
        body = visit.read_body()
    except PayloadError as error:
        _count(header_principal)
        raise SubmitError(error.status, error.message, error.code) from None
    raw_key = _stripped(_raw_key(visit, body))
    principal = header_principal if raw_key == visit.bearer_key else keys.authenticate(raw_key)
    _count(principal)
    return body, principal


def _count(principal):
    """Count the request against a secret key's budget only, else against the client's IP."""
    if principal is not None and principal.is_secret:
        g.principal = principal
        _within_limit(ratelimits.count_key, principal)
    else:
        _within_limit(ratelimits.count_client_ip)


def _within_limit(count, *args):
    """count(*args), its RateLimited a SubmitError (429)."""
    try:
        count(*args)
    except ratelimits.RateLimited:
        raise SubmitError(429, MESSAGES[429], "rate_limited") from None


def _raw_key(visit, body):
    """The key the request names: in the path (/f/<key>), else Authorization, else the body's access_key."""
    return next((key for key in (visit.path_key, visit.bearer_key) if key is not None), body.get("access_key"))


def _stripped(raw_key):
    return raw_key.strip() if isinstance(raw_key, str) else raw_key


def _authenticate(visit, body, principal):
    """The request's Principal (401 when its key is missing, disabled or invalid); a publishable key is
    counted against its own budget too (its client IP already was)."""
    raw_key = _raw_key(visit, body)
    if raw_key is None or raw_key == "" and visit.bearer_key is None:
        raise SubmitError(401, MISSING_KEY, "missing_api_key", field="access_key")
    raw_key = _stripped(raw_key)
    if principal is None and keys.is_disabled(raw_key):
        raise SubmitError(401, INVALID_KEY, "key_disabled", field="access_key")
    if principal is None:
        raise SubmitError(401, INVALID_KEY, "invalid_api_key", field="access_key")
    g.principal = principal
    if not principal.is_secret:
        _within_limit(ratelimits.count_key, principal)
    return principal


def _refuse_secret_keys_from_browsers(door, visit, principal):
    if principal.is_secret and (visit.from_browser or not door.secret_keys):
        raise SubmitError(403, SECRET_IN_BROWSER, "secret_key_in_browser", field="access_key")


def _fields(door, body):
    try:
        return contact_fields(door, body)
    except FieldsRefused as refused:
        raise SubmitError(400, refused.message, refused.code, refused.problems[0].field, refused.problems) from None


def _keep_as_spam(door, visit, principal, body, verdict):
    """Keep a submission judged spam in the spam folder as sent (never a contact, no delivery); returns the
    (email, fields) a real success would have shown: the address normalised, the key's kept fields."""
    fields = control_free(door, body)
    fields.pop("email", None)
    email = next((body[name] for name in door.email_from if present(body.get(name))), body.get("email"))
    spam_folder.keep(principal, email, fields, verdict, visit.source)
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
