"""What a submission's body means: the contact's address and fields, and the control fields that steer it
(never stored). Each door declares its own differences in a Door."""
from dataclasses import dataclass

from .addresses import InvalidEmail, normalise_email
from .payloads import READ_ONLY_FIELDS
from .challenges import FIELDS as CHALLENGE_FIELDS
from .spam import HONEYPOTS

REQUIRED = "This field is required."
# Control fields steer a submission on every door; they are never stored (nor are the challenge widgets' tokens).
CONTROL_FIELDS = frozenset({
    "access_key", *HONEYPOTS, *CHALLENGE_FIELDS, "_next", "redirect", "success_url", "_error", "error_url", "_subject", "_replyto",
})


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one field of a submission."""

    field: str | None
    message: str
    code: str


class FieldsRefused(ValueError):
    """The body's fields are refused: a message, the first problem's code and every problem."""

    def __init__(self, message, code, problems):
        super().__init__(message)
        self.message, self.code, self.problems = message, code, tuple(problems)


@dataclass(frozen=True)
class Door:
    """What differs between the doors: their own control fields, required fields, where the address is."""

    name: str
    controls: frozenset = frozenset()
    required: tuple = ()
    email_from: tuple = ("email",)   # the first of these with a value is the contact's address
    subject_from: tuple = ("_subject",)
    reply_to_from: tuple = ("_replyto",)
    secret_keys: bool = False        # may a secret key be used here at all (from a backend)?
    refuse_empty: bool = False       # a body with no fields at all is its own error (Formspree's EMPTY)


@dataclass(frozen=True)
class Controls:
    """The control fields of a submission, as the deliveries use them (single-line, never stored)."""

    subject: str | None = None
    reply_to: str | None = None
    from_name: str | None = None
    notify: bool = True


def control_free(door, body):
    """The body without the control fields of every door and of this one."""
    return {name: value for name, value in body.items() if name not in CONTROL_FIELDS | door.controls}


def contact_fields(door, body):
    """(address, fields to store) of a submission; SubmitError naming every field at fault."""
    fields = control_free(door, body)
    fields.pop("email", None)
    if door.refuse_empty and not fields and not any(present(body.get(name)) for name in door.email_from):
        raise FieldsRefused("The submission has no fields.", "empty", [Problem(None, "The submission has no fields.", "empty")])
    problems = [Problem(name, f"{name} is read-only", "read_only_field") for name in READ_ONLY_FIELDS if name in body]
    raw_email = next((body[name] for name in door.email_from if present(body.get(name))), None)
    if raw_email is None:
        problems.append(Problem("email", REQUIRED, "email_required"))
    else:
        try:
            normalise_email(raw_email)
        except InvalidEmail as error:
            problems.append(Problem("email", str(error), "invalid_email"))
    problems += [Problem(name, REQUIRED, "field_required") for name in door.required if not present(body.get(name))]
    if problems:
        first = problems[0]
        message = "email is required" if first.code == "email_required" else (
            f"{first.field} is required" if first.code == "field_required" else first.message)
        raise FieldsRefused(message, first.code, problems)
    return raw_email, fields


def present(value):
    return value is not None and not (isinstance(value, str) and not value.strip())


def _text(value):
    return value if isinstance(value, str) and value.strip() else None


def controls_of(door, body, email):
    """The control fields of a body, as the deliveries use them."""
    reply_to = next((_text(body.get(name)) for name in door.reply_to_from if _text(body.get(name))), None)
    try:
        reply_to = normalise_email(single_line(reply_to)) if reply_to else email
    except InvalidEmail:
        reply_to = email
    return Controls(
        subject=single_line(next((_text(body.get(n)) for n in door.subject_from if _text(body.get(n))), None)),
        reply_to=reply_to,
        from_name=single_line(_text(body.get("from_name")) if "from_name" in door.controls else None),
        notify=not _yes(body.get("not_email_sent")) if "not_email_sent" in door.controls else True,
    )


def single_line(text, limit=200):
    """A value for a mail header: one line (no header injection), at most limit characters."""
    if text is None:
        return None
    text = " ".join(str(text).split())
    return (text if len(text) <= limit else text[: limit - 1] + "…") or None


def _yes(value):
    """A yes/no control field from JSON (true) or a form ("true", "1", "on", "yes")."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "on", "yes")
    return value is True or value == 1


