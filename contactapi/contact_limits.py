"""How much one contact may hold: MAX_CONTACT_BYTES of fields, as stored JSON, under at most MAX_CONTACT_FIELDS
names, whether it grows by a post (storage.upsert merges the fields sent) or by a merge patch (contacts.patch)."""
import json

from flask import current_app


class ContactTooLarge(ValueError):
    """The contact would hold more than MAX_CONTACT_BYTES of fields or more than MAX_CONTACT_FIELDS names."""

    def __init__(self, max_bytes, max_fields):
        super().__init__(f"A contact may hold at most {max_bytes // 1024} KiB in at most {max_fields} fields.")


def stored_size(fields):
    """How many bytes fields take as stored JSON."""
    return len(json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def fits(fields):
    """True when fields, as one contact's, stay within this instance's limits."""
    config = current_app.config
    return len(fields) <= config["MAX_CONTACT_FIELDS"] and stored_size(fields) <= config["MAX_CONTACT_BYTES"]


def too_large():
    """The ContactTooLarge that names this instance's limits."""
    return ContactTooLarge(current_app.config["MAX_CONTACT_BYTES"], current_app.config["MAX_CONTACT_FIELDS"])
