"""Reading a contact from a request body: strict JSON, form fields, and the fields nobody may set."""
import json
import math

from .addresses import InvalidEmail, normalise_email
from .errors import FORM_TYPES

JSON_TYPES = ("application/json", "application/merge-patch+json")
READ_ONLY_FIELDS = ("id", "created_at", "updated_at")
# Control fields steer a form post; they are never stored as contact fields.
CONTROL_FIELDS = ("access_key", "_gotcha", "_next")
# The same for codefreeform's /api/contact-api/ (plus our honeypot, which spam bots fill there too).
CODEFREEFORM_CONTROL_FIELDS = ("access_key", "_gotcha", "success_url", "error_url", "not_email_sent")
CODEFREEFORM_REQUIRED = ("email", "message")
REQUIRED = "This field is required."


class PayloadError(ValueError):
    """A body the API refuses; status and code say how."""

    def __init__(self, message, status=400, code="invalid_request", errors=None):
        super().__init__(message)
        self.message, self.status, self.code = message, status, code
        self.errors = errors  # {field: [messages]} where a field is to blame (codefreeform's shape)


def _reject_constant(name):
    raise PayloadError(f"Invalid JSON: {name} is not allowed", code="invalid_json")


def depth_of(value):
    """How deeply containers nest: a flat object is 1."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children)
    return deepest


def parse_json_object(data, max_depth):
    """The body as a JSON object; PayloadError for bad UTF-8, bad JSON, NaN, non-objects, deep nesting."""
    try:
        text = data.decode("utf-8")
        value = json.loads(text, parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise PayloadError("Invalid JSON: the body is not UTF-8", code="invalid_json") from None
    except RecursionError:
        raise PayloadError(f"JSON nests deeper than {max_depth} levels", code="too_deep") from None
    except ValueError as error:
        if isinstance(error, PayloadError):
            raise
        raise PayloadError(f"Invalid JSON: {error}", code="invalid_json") from None
    if not isinstance(value, dict):
        raise PayloadError("The body must be a JSON object", code="invalid_json")
    if depth_of(value) > max_depth:
        raise PayloadError(f"JSON nests deeper than {max_depth} levels", code="too_deep")
    _reject_huge_floats(value)
    return value


def _reject_huge_floats(value):
    """1e999 parses to inf without parse_constant; refuse it like NaN."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, float) and not math.isfinite(node):
            raise PayloadError("Invalid JSON: numbers must be finite", code="invalid_json")
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def json_body(request, max_depth):
    """A request's body as a JSON object; 415 for any other media type."""
    if request.mimetype not in JSON_TYPES:
        raise PayloadError("Send the body as application/json", 415, "unsupported_media_type")
    return parse_json_object(request.get_data(cache=False), max_depth)


def submitted_body(request, max_depth):
    """A create request's body: a JSON object, or a browser form's fields; PayloadError otherwise."""
    if request.mimetype in FORM_TYPES:
        return form_fields(request.form, request.files)
    if request.mimetype in JSON_TYPES:
        return json_body(request, max_depth)
    raise PayloadError("Send the body as application/json or as a form", 415, "unsupported_media_type")


def form_fields(form, files):
    """A form post as a dict: one value stays a string, a repeated name becomes a list."""
    if files:  # any file part, even an empty one: refuse rather than drop it silently
        raise PayloadError("File uploads are not supported", code="uploads_not_supported")
    return {name: values[0] if len(values) == 1 else values for name, values in form.lists()}


def refuse_read_only(body):
    for name in READ_ONLY_FIELDS:
        if name in body:
            raise PayloadError(f"{name} is read-only", code="read_only_field")


def contact_fields(body):
    """(raw email, other fields) of a create request; control fields dropped."""
    refuse_read_only(body)
    if "email" not in body or body["email"] in (None, ""):
        raise PayloadError("email is required", code="email_required")
    fields = {name: value for name, value in body.items() if name not in CONTROL_FIELDS and name != "email"}
    return body["email"], fields


def is_spam(body):
    """The honeypot: people never see the hidden _gotcha field, so anything in it was typed by a bot."""
    return bool(body.get("_gotcha"))


def is_true(value):
    """A yes/no control field from JSON (true) or a form ("true", "1", "on", "yes")."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "on", "yes")
    return value is True or value == 1


def codefreeform_fields(body):
    """(email, other fields) of a /api/contact-api/ post; PayloadError naming every bad field."""
    errors = {name: [f"{name} is read-only"] for name in READ_ONLY_FIELDS if name in body}
    for name in CODEFREEFORM_REQUIRED:
        value = body.get(name)
        if value is None or isinstance(value, str) and not value.strip():
            errors[name] = [REQUIRED]
    if "email" not in errors:
        try:
            normalise_email(body["email"])
        except InvalidEmail as error:
            errors["email"] = [str(error)]
    if errors:
        message = " ".join(f"{name}: {' '.join(problems)}" for name, problems in errors.items())
        raise PayloadError(message, errors=errors)
    fields = {name: value for name, value in body.items() if name not in CODEFREEFORM_CONTROL_FIELDS + ("email",)}
    return body["email"], fields
