"""The owner's subject and body, rendered in Jinja's sandbox with the submitter's short values.

Only placeholders and conditions: loops, macros and includes are refused when the owner saves (they could
spin a worker), and so are `*`/`**` on text (a gigabyte from one line). The text part is rendered as
written; the HTML part with autoescape, so a submitted `<script>` arrives as text."""
import re

from jinja2 import TemplateError, nodes
from jinja2.sandbox import SandboxedEnvironment, SecurityError
from markupsafe import Markup

MAX_VALUE_LENGTH = 100   # longer submitted values are not inserted at all
MAX_OUTPUT = 20_000      # characters a rendered body may have
SUBJECT_LENGTH = 200
BODY_LENGTH = 5000
REFUSED_NODES = (nodes.For, nodes.Macro, nodes.CallBlock, nodes.Include, nodes.Import, nodes.FromImport,
                 nodes.Extends, nodes.Block, nodes.FilterBlock)
# http(s)/ftp/mailto links, www. hosts, and anything shaped like a domain (example.com, spam.example/x).
LINK = re.compile(r"(?:[a-z][a-z0-9+.-]*://|www\.|mailto:)\S*|\b[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}\b(?:/\S*)?",
                  re.IGNORECASE)


class TemplateProblem(ValueError):
    """The owner's template cannot be used; the message says why, for the form."""


class _Sandbox(SandboxedEnvironment):
    intercepted_binops = frozenset(["*", "**"])

    def call_binop(self, context, operator, left, right):
        if operator == "**" or isinstance(left, (str, list, tuple)) or isinstance(right, (str, list, tuple)):
            raise SecurityError(f"{operator} is not allowed in an autoresponse")
        return super().call_binop(context, operator, left, right)


_TEXT = _Sandbox(autoescape=False)
_HTML = _Sandbox(autoescape=True)


def short_value(value):
    """A submitted value as a placeholder may insert it: text (or a number) up to 100 characters, links
    removed, on one line; anything else is empty."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return ""
    text = str(value)
    if len(text) > MAX_VALUE_LENGTH:
        return ""
    return " ".join(LINK.sub("", text).split())


def placeholders(email, fields):
    """What the templates may name: each submitted field's short value, and the submitter's address."""
    values = {name: short_value(value) for name, value in fields.items() if isinstance(name, str)}
    return {**values, "email": email}


def check(subject, body):
    """Raise TemplateProblem unless both templates parse, use only what is allowed, and render."""
    for label, source, limit in (("Subject", subject, SUBJECT_LENGTH), ("Body", body, BODY_LENGTH)):
        if len(source) > limit:
            raise TemplateProblem(f"{label}: at most {limit} characters.")
        try:
            tree = _TEXT.parse(source)
        except TemplateError as error:
            raise TemplateProblem(f"{label}: {error.message}") from None
        refused = next(tree.find_all(REFUSED_NODES), None)
        if refused is not None:
            raise TemplateProblem(f"{label}: only placeholders like {{{{ name }}}} and {{% if %}} are allowed, "
                                  f"not {type(refused).__name__.lower()}.")
    try:
        render(subject, body, "someone@example.com", {})
    except TemplateProblem as problem:
        raise TemplateProblem(f"This template cannot be rendered: {problem}") from None


def _bounded(environment, source, context):
    chunks, size = [], 0
    for chunk in environment.from_string(source).generate(context):
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_OUTPUT:
            break
    return "".join(chunks)[:MAX_OUTPUT]


def render(subject, body, email, fields):
    """(subject, text, html) of one autoresponse from the owner's templates; TemplateProblem when they fail
    (never a crash). Our links (confirm, unsubscribe) are added after the owner's text, never through it."""
    context = placeholders(email, fields)
    try:
        rendered_subject = _bounded(_TEXT, subject, context)
        text = _bounded(_TEXT, body, context)
        html = Markup(_bounded(_HTML, body, context))
    except Exception as error:  # whatever the owner's template does, a visitor's submission must not fail
        raise TemplateProblem(str(error) or type(error).__name__) from None
    return rendered_subject, text, html
