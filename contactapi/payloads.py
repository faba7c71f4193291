"""The one reader of request bodies: size, strict JSON, form fields, text that can be stored, read-only names."""
import io
import json
import math

from flask import current_app
from werkzeug.formparser import FormDataParser

from .errors import FORM_TYPES, MESSAGES

JSON_TYPES = ("application/json", "application/merge-patch+json")
READ_ONLY_FIELDS = ("id", "created_at", "updated_at", "confirmed_at")
TOO_LARGE = MESSAGES[413]


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
    refuse_unencodable(value)
    return value


def strings_in(value):
    """Every string inside a JSON value (lists and objects included)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_in(item)


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


_BODY = "contactapi.body"  # where read_body keeps the bytes it read, in the request's WSGI environ


def read_body(request, limit):
    """The request's raw body, at most limit bytes: 413 past it, whether sent with Content-Length or chunked.

    A chunked body has no length to check up front; Werkzeug's own limited stream would hand back its
    first `limit` bytes as if they were all, so the WSGI input is read here with one byte to spare. The bytes
    are kept on the request, so a second reader (Idempotency-Key's fingerprint, then the view) sees them too."""
    if _BODY in request.environ:
        return request.environ[_BODY]
    if request.content_length is not None:
        if request.content_length > limit:
            raise PayloadError(TOO_LARGE, 413, "payload_too_large")
        data = request.get_data(cache=False)
    elif not request.environ.get("wsgi.input_terminated"):
        data = b""  # no length and a server that does not end the stream: nothing can be read safely
    else:
        data = request.environ["wsgi.input"].read(limit + 1)
        if len(data) > limit:
            raise PayloadError(TOO_LARGE, 413, "payload_too_large")
    request.environ[_BODY] = data
    return data


def json_body(request, max_depth, limit):
    """A request's body as a JSON object; 415 for any other media type."""
    if request.mimetype not in JSON_TYPES:
        raise PayloadError("Send the body as application/json", 415, "unsupported_media_type")
    return parse_json_object(read_body(request, limit), max_depth)


def request_json(request):
    """A request's JSON object within the app's limits (MAX_JSON_DEPTH, MAX_CONTENT_LENGTH)."""
    config = current_app.config
    return json_body(request, config["MAX_JSON_DEPTH"], config["MAX_CONTENT_LENGTH"])


def request_bytes(request):
    """A request's raw body within MAX_CONTENT_LENGTH (413 past it), read once and kept for the view."""
    return read_body(request, current_app.config["MAX_CONTENT_LENGTH"])


def submitted_body(request):
    """A create request's body: a JSON object, or a browser form's fields; PayloadError otherwise."""
    if request.mimetype in FORM_TYPES:
        data = read_body(request, current_app.config["MAX_CONTENT_LENGTH"])
        _stream, form, files = FormDataParser().parse(
            io.BytesIO(data), request.mimetype, len(data), request.mimetype_params)
        return form_fields(form, files)
    if request.mimetype in JSON_TYPES:
        return request_json(request)
    raise PayloadError("Send the body as application/json or as a form", 415, "unsupported_media_type")


def form_fields(form, files):
    """A form post as a dict: one value stays a string, a repeated name becomes a list."""
    if files:  # any file part, even an empty one: refuse rather than drop it silently
        raise PayloadError("File uploads are not supported", code="uploads_not_supported")
    # A part with no name is refused, not dropped: RFC 7578 requires one and browsers never send a control
    # without one, so it comes from a hand-built client whose value would otherwise vanish unseen (400 on
    # every door, like any malformed body). A name="" is still a name and is kept, as in JSON.
    if None in form:
        raise PayloadError("Every form field needs a name: a multipart part has none", code="unnamed_field")
    fields = {name: values[0] if len(values) == 1 else values for name, values in form.lists()}
    refuse_unencodable(fields)
    return fields


def refuse_unencodable(value):
    """invalid_text for text that cannot be stored as UTF-8: a lone surrogate anywhere, NUL in a name."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for name in node:
                if "\x00" in name:
                    raise PayloadError("Field names cannot contain NUL characters", code="invalid_text")
                stack.append(name)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, str):
            try:
                node.encode("utf-8")
            except UnicodeEncodeError:
                raise PayloadError("The text is not valid Unicode (a lone surrogate)", code="invalid_text") from None


def refuse_read_only(body):
    for name in READ_ONLY_FIELDS:
        if name in body:
            raise PayloadError(f"{name} is read-only", code="read_only_field")


