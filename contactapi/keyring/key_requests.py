"""A request for keys by email (POST / as JSON or from the form on GET /), checked and answered by mail.

The answer never depends on whether the address has an account: every request sends one email, and
what differs (a create link, the key limit, the list of keys) is only in that email."""
from dataclasses import dataclass

from .. import keys
from ..addresses import InvalidEmail, normalise_email
from . import emails

REQUEST_TYPES = ("generateKey", "getKeys")


class InvalidKeyRequest(ValueError):
    """errors maps each bad field to its messages, like the codefreeform error body."""

    def __init__(self, errors):
        self.errors = errors
        super().__init__(next(iter(errors.values()))[0])


@dataclass(frozen=True)
class KeyRequest:
    email: str
    request_type: str = "generateKey"
    kind: str = "publishable"
    domains: tuple = ()


def from_json(body):
    """A KeyRequest from a JSON object; InvalidKeyRequest names every bad field."""
    errors = {}
    try:
        email = normalise_email(body.get("email", ""))
    except InvalidEmail as error:
        errors["email"] = [str(error)]
    request_type = body.get("requestType", "generateKey")
    if request_type not in REQUEST_TYPES:
        errors["requestType"] = [f"requestType must be one of {', '.join(REQUEST_TYPES)}."]
    kind = body.get("kind", "publishable")
    if kind not in keys.KINDS:
        errors["kind"] = [f"kind must be one of {', '.join(keys.KINDS)}."]
    domains = body.get("domains") or []
    if not isinstance(domains, list) or not all(isinstance(entry, str) for entry in domains):
        errors["domains"] = ["domains must be a list of domain names."]
    elif "kind" not in errors:
        try:
            domains = keys.domains_for(kind, domains)
        except ValueError as error:
            errors["domains"] = [str(error)]
    if errors:
        raise InvalidKeyRequest(errors)
    return KeyRequest(email, request_type, kind, tuple(domains))


def fulfil(key_request):
    """Queue the email this request asks for; returns the message to show."""
    if key_request.request_type == "getKeys":
        emails.send_keys(key_request.email)
    else:
        emails.send_key_link(key_request.email, key_request.kind, list(key_request.domains))


def confirmation(key_request):
    """What the requester is told: the same whether or not the mail went (see mail_limits)."""
    if key_request.request_type == "getKeys":
        return f"We emailed your active keys and a sign-in link to {key_request.email}."
    return (f"Check your inbox at {key_request.email}: we sent the next step for your new key. "
            f"Its link works once, within {emails.link_minutes()} minutes.")
