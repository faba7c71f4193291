"""A publishable key's content rules (off until its owner sets them): what they are, how they are checked
and how a typed-in set of them is validated. Each check is a plain function returning a Verdict or None;
spam.judge runs them in order."""
import re
from dataclasses import dataclass
from functools import lru_cache

from . import spam  # a module import, read at call time: spam.judge calls check, spam.Verdict is returned
from .addresses import InvalidEmail, normalise_email
from .origins import canonical_host, normalise_domain
from .payloads import strings_in

MAX_ENTRIES = 200          # per list
MAX_ENTRY_LENGTH = 100
MAX_LINKS_CEILING = 1000
# What counts as a link in a text: a URL with a scheme, or a bare www. host.
LINK = re.compile(r"\b(?:https?://|ftp://|www\.)", re.IGNORECASE)
FIELD_NAME = re.compile(r"[^\s,]{1,100}")
# Where the doors take the sender's address from (Formspree's and Web3Forms' reply-to fields stand in for
# email): a blocked sender is blocked in any of them.
ADDRESS_FIELDS = ("email", "_replyto", "replyto")


@dataclass(frozen=True)
class ContentRules:
    """Lists keep the order the owner typed them in; an empty list or None is a rule that is off."""

    max_links: int | None = None
    blocked_words: tuple = ()
    blocked_senders: tuple = ()   # addresses ("ada@example.com") and domains ("example.com", subdomains too)
    required_fields: tuple = ()
    only_fields: tuple = ()       # when set, other fields are dropped (email is always kept)

    @classmethod
    def from_json(cls, data):
        data = data or {}
        return cls(data.get("max_links"), *(tuple(data.get(name) or ()) for name in _LISTS))

    def as_json(self):
        """The rules as stored in api_keys.content_rules; None when every rule is off."""
        data = {"max_links": self.max_links, **{name: list(getattr(self, name)) for name in _LISTS}}
        return data if self.any else None

    @property
    def any(self):
        return self.max_links is not None or any(getattr(self, name) for name in _LISTS)

    def kept(self, fields):
        """The fields a submission stores under "only these fields" (all of them when that rule is off)."""
        if not self.only_fields:
            return fields
        return {name: value for name, value in fields.items() if name in self.only_fields or name == "email"}


_LISTS = ("blocked_words", "blocked_senders", "required_fields", "only_fields")
NONE = ContentRules()


def _fields_rules():
    """submission_fields, imported on first use: its CONTROL_FIELDS are built from spam's and challenges' names,
    and loading those modules loads this one (spam.judge calls check)."""
    from . import submission_fields
    return submission_fields


def visitor_text(body):
    """(field name, text) of everything the visitor typed: control fields (redirect URLs…) left out."""
    for name, value in body.items():
        if name not in _fields_rules().CONTROL_FIELDS:
            for text in strings_in(value):
                yield name, text


def too_many_links(rules, body):
    if rules.max_links is None:
        return None
    count = sum(len(LINK.findall(text)) for _name, text in visitor_text(body))
    if count > rules.max_links:
        return spam.Verdict("rule_links", f"{count} links; this key allows {rules.max_links}")
    return None


@lru_cache(maxsize=1024)  # a key's words come back with each of its posts
def _whole_word(word):
    return re.compile(rf"(?<!\w){re.escape(word)}(?!\w)", re.IGNORECASE)


def blocked_word(rules, body):
    """The first blocked word found as a whole word (or phrase), in any letter case."""
    if not rules.blocked_words:
        return None
    for name, text in visitor_text(body):
        for word in rules.blocked_words:
            if _whole_word(word).search(text):
                return spam.Verdict("rule_blocked_word", f'"{word}" in {name}')
    return None


def _addresses(body):
    for name in ADDRESS_FIELDS:
        try:
            yield normalise_email(body.get(name))
        except InvalidEmail:
            continue  # absent or not an address: the submit flow refuses a bad email itself


def blocked_sender(rules, body):
    """The sender's normalised address is blocked, or its domain (or a parent domain) is."""
    if not rules.blocked_senders:
        return None
    for address in _addresses(body):
        domain = address.rpartition("@")[2]
        domain = canonical_host(domain) or domain  # IDNA-encoded, as normalise_domain keeps the entries
        for entry in rules.blocked_senders:
            if address == entry or "@" not in entry and (domain == entry or domain.endswith("." + entry)):
                return spam.Verdict("rule_blocked_sender", f"{address} matches {entry}")
    return None


def missing_required_field(rules, body):
    for name in rules.required_fields:
        if not _fields_rules().present(body.get(name)):
            return spam.Verdict("rule_required_field", f"{name} is missing")
    return None


CHECKS = (blocked_sender, blocked_word, too_many_links, missing_required_field)


def check(rules, body):
    """The first rule this body breaks, or None."""
    for rule in CHECKS:
        verdict = rule(rules, body)
        if verdict is not None:
            return verdict
    return None


class RulesInvalid(ValueError):
    """Typed-in rules refused: errors maps a rule's name to what is wrong with it."""

    def __init__(self, errors):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def _unique(entries, fold=str.lower):
    seen, kept = set(), []
    for entry in entries:
        if fold(entry) not in seen:
            seen.add(fold(entry))
            kept.append(entry)
    return kept


def _limited(name, entries, errors):
    if len(entries) > MAX_ENTRIES:
        errors[name] = f"At most {MAX_ENTRIES} entries."
    long = next((entry for entry in entries if len(entry) > MAX_ENTRY_LENGTH), None)
    if long:
        errors[name] = f"“{long[:30]}…” is longer than {MAX_ENTRY_LENGTH} characters."
    return entries


def _sender(entry):
    if "@" in entry.lstrip("@"):
        return normalise_email(entry)
    return normalise_domain(entry.lstrip("@"))


def _senders(entries, errors):
    cleaned = []
    for entry in entries:
        try:
            cleaned.append(_sender(entry))
        except (InvalidEmail, ValueError):
            errors["blocked_senders"] = f"“{entry[:60]}” is neither an email address nor a domain."
            return []
    return _unique(cleaned)


def _field_names(name, entries, errors):
    bad = next((entry for entry in entries if not FIELD_NAME.fullmatch(entry)), None)
    control = next((entry for entry in entries if entry in _fields_rules().CONTROL_FIELDS), None)
    if bad:
        errors[name] = f"“{bad[:30]}” is not a field name (no spaces or commas, at most 100 characters)."
    elif control:
        errors[name] = f"{control} is a control field: it is never stored."
    return _unique(entries, fold=str)


def parse(max_links, blocked_words, blocked_senders, required_fields, only_fields):
    """ContentRules from what the owner typed (lists already split into entries); RulesInvalid naming
    every rule at fault."""
    errors = {}
    if max_links is not None and not (isinstance(max_links, int) and 0 <= max_links <= MAX_LINKS_CEILING):
        errors["max_links"] = f"A number from 0 to {MAX_LINKS_CEILING}, or empty for no limit."
    words = _unique(_limited("blocked_words", [w.strip() for w in blocked_words if w.strip()], errors))
    senders = _senders(_limited("blocked_senders", blocked_senders, errors), errors)
    required = _field_names("required_fields", _limited("required_fields", required_fields, errors), errors)
    only = _field_names("only_fields", _limited("only_fields", only_fields, errors), errors)
    dropped = [name for name in required if only and name not in only and name != "email"]
    if dropped and "required_fields" not in errors:
        errors["required_fields"] = f"{dropped[0]} is required but “only these fields” would drop it."
    if errors:
        raise RulesInvalid(errors)
    return ContentRules(max_links, tuple(words), tuple(senders), tuple(required), tuple(only))
