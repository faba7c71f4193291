"""The API reference at /docs, read from the OpenAPI document: operations by tag, their parameters, bodies,
answers and links, the shared schemas and the error codes, ready for the templates to print."""
import json
from dataclasses import dataclass, field
from urllib.parse import urlencode

from markdown_it import MarkdownIt
from markupsafe import Markup, escape

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
METHODS = ("get", "post", "patch", "put", "delete", "options")
_markdown = MarkdownIt("commonmark", {"html": False})  # the document's prose may not carry raw HTML


def prose(text):
    """Markdown from the document as safe HTML."""
    return Markup(_markdown.render(text or ""))


@dataclass
class Row:
    """One line of a table: a field, a parameter or a header."""
    name: str
    type: Markup
    required: bool = False
    description: Markup = Markup("")
    notes: list = field(default_factory=list)


@dataclass
class Example:
    title: str
    text: str


@dataclass
class Body:
    media_type: str
    type: Markup
    rows: list
    examples: list


@dataclass
class Link:
    name: str
    target: str  # the operationId it leads to
    parameters: dict
    description: str


@dataclass
class Answer:
    status: str
    description: Markup
    bodies: list
    headers: list
    links: list


@dataclass
class Operation:
    id: str
    method: str
    path: str
    summary: str
    description: Markup
    keys: list
    parameters: list
    bodies: list
    answers: list


@dataclass
class Section:
    """A tag: its operations in document order."""
    name: str
    description: Markup
    operations: list = field(default_factory=list)


@dataclass
class Schema:
    name: str
    description: Markup
    type: Markup
    rows: list


@dataclass
class Reference:
    title: str
    version: str
    summary: str
    description: Markup
    license: str
    server: str
    keys: list
    sections: list
    schemas: list
    error_codes: list


class _Reader:
    """Follows $refs in one document and describes what it finds."""

    def __init__(self, document):
        self.document = document

    def deref(self, node):
        while isinstance(node, dict) and "$ref" in node:
            target = self.document
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            node = target
        return node

    def type_of(self, schema):
        """A short type as HTML: a link for a named schema, "array of …", "string (email)", "a or b"."""
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            return Markup('<a href="#schema-{0}">{0}</a>').format(name)
        for word in ("oneOf", "anyOf"):
            if word in schema:
                return Markup(" or ").join(self.type_of(option) for option in schema[word])
        if "allOf" in schema:
            return Markup(" and ").join(self.type_of(part) for part in schema["allOf"])
        if "const" in schema:
            return Markup("<code>{}</code>").format(json.dumps(schema["const"]))
        kind = schema.get("type", "any")
        kind = " or ".join(kind) if isinstance(kind, list) else kind
        if kind == "array":
            return Markup("array of ") + self.type_of(schema.get("items", {}))
        return escape(f"{kind} ({schema['format']})" if "format" in schema else kind)

    def notes(self, schema):
        schema = self.deref(schema)
        found = ["read-only"] if schema.get("readOnly") else []
        if "minimum" in schema or "maximum" in schema:
            found.append(f"{schema.get('minimum', '…')} to {schema.get('maximum', '…')}")
        if "maxLength" in schema:
            found.append(f"at most {schema['maxLength']} characters")
        if "pattern" in schema:
            found.append(f"matches {schema['pattern']}")
        if "default" in schema:
            found.append(f"default {json.dumps(schema['default'])}")
        return found

    def parts(self, schema):
        """The schema and everything it is made of (allOf, else), followed."""
        schema = self.deref(schema)
        yield schema
        for part in schema.get("allOf", []) + ([schema["else"]] if "else" in schema else []):
            yield from self.parts(part)

    def rows(self, schema):
        """The fields of an object schema, its parts merged; the last line says what other fields may be."""
        properties, required, extra = {}, set(), None
        for part in self.parts(schema):
            for name, sub in part.get("properties", {}).items():
                properties[name] = sub if name not in properties or "$ref" in sub else properties[name]
            required |= set(part.get("required", []))
            extra = part.get("additionalProperties", extra)
        rows = [Row(name, self.type_of(sub), name in required,
                    prose(sub.get("description") or self.deref(sub).get("description")), self.notes(sub))
                for name, sub in properties.items()]
        if extra:
            kind = self.type_of(extra) if isinstance(extra, dict) else Markup("any")
            rows.append(Row("any other name", kind, description=prose("Saved as sent.")))
        return rows

    def examples(self, media_type, media):
        found = [(name, self.deref(example)) for name, example in media.get("examples", {}).items()]
        if "example" in media:
            found.append(("Example", {"value": media["example"]}))
        return [Example(example.get("summary", name), _shown(media_type, example["value"]))
                for name, example in found]

    def bodies(self, content):
        return [Body(media_type, self.type_of(media.get("schema", {})),
                     self.rows(media["schema"]) if self.is_object(media.get("schema")) else [],
                     self.examples(media_type, media))
                for media_type, media in content.items()]

    def is_object(self, schema):
        return schema is not None and "object" in (self.deref(schema).get("type"), *(
            self.deref(part).get("type") for part in self.deref(schema).get("allOf", [])))

    def parameter(self, parameter):
        parameter = self.deref(parameter)
        return Row(parameter["name"], self.type_of(parameter.get("schema", {})), parameter.get("required", False),
                   prose(parameter.get("description")), [parameter["in"], *self.notes(parameter.get("schema", {}))])

    def answer(self, status, response):
        response = self.deref(response)
        links = [self.deref(link) | {"name": name} for name, link in response.get("links", {}).items()]
        return Answer(status, prose(response.get("description")), self.bodies(response.get("content", {})),
                      [Row(name, self.type_of(self.deref(h).get("schema", {})),
                           self.deref(h).get("required", False), prose(self.deref(h).get("description")))
                       for name, h in response.get("headers", {}).items()],
                      [Link(link["name"], link["operationId"], link.get("parameters", {}),
                            link.get("description", "")) for link in links])

    def operation(self, path, method, item, operation):
        keys = [name for requirement in operation.get("security", self.document.get("security", []))
                for name in requirement] or ["none"]
        parameters = item.get("parameters", []) + operation.get("parameters", [])
        return Operation(
            operation["operationId"], method.upper(), path, operation["summary"],
            prose(operation.get("description")), keys, [self.parameter(p) for p in parameters],
            self.bodies(operation.get("requestBody", {}).get("content", {})),
            [self.answer(status, response) for status, response in sorted(operation["responses"].items())],
        )


def _shown(media_type, value):
    """An example as it travels: JSON pretty-printed, a form as its url-encoded fields."""
    if media_type in FORM_TYPES and isinstance(value, dict):
        return urlencode(value)
    if media_type.startswith("text/"):
        return str(value)
    compact = json.dumps(value, ensure_ascii=False)
    return compact if len(compact) <= 80 else json.dumps(value, indent=2, ensure_ascii=False)


def build(document):
    """The Reference for an OpenAPI document (one with its servers filled in)."""
    reader = _Reader(document)
    info, components = document["info"], document.get("components", {})
    sections = {tag["name"]: Section(tag["name"], prose(tag.get("description"))) for tag in document.get("tags", [])}
    for path, item in document["paths"].items():
        for method, operation in item.items():  # in the document's order
            if method in METHODS:
                tag = (operation.get("tags") or ["other"])[0]
                section = sections.setdefault(tag, Section(tag, Markup("")))
                section.operations.append(reader.operation(path, method, item, operation))
    schemas = [Schema(name, prose(schema.get("description")), reader.type_of(schema),
                      reader.rows(schema) if reader.is_object(schema) else [])
               for name, schema in components.get("schemas", {}).items()]
    keys = [Row(name, escape(f"{scheme['type']} {scheme.get('scheme', '')}".strip()),
                description=prose(scheme.get("description")))
            for name, scheme in components.get("securitySchemes", {}).items()]
    code = components["schemas"]["Error"]["properties"]["error"]["properties"]["code"]
    return Reference(
        info["title"], info["version"], info.get("summary", ""), prose(info.get("description")),
        info.get("license", {}).get("name", ""), document["servers"][0]["url"], keys,
        [section for section in sections.values() if section.operations], schemas, code.get("examples", []),
    )
