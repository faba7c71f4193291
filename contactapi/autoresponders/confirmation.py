"""Double opt-in: a contact confirms its address by pressing the button of its emailed link. The
confirmation lives in contacts.confirmed_at, never in the fields, and emits contact.confirmed.

A link confirms the address it was mailed to, so only while the contact still holds it: the owner may have
changed the contact's email since, and the new address never got a link."""
from sqlalchemy import select, update

from ..contacts import as_json
from ..database import read_connection, write_connection
from ..deliveries import events
from ..models import Contact, utcnow
from ..personal_data import address_digests

contacts = Contact.__table__


class LinkNoLongerApplies(Exception):
    """The contact's address is no longer the one the link was mailed to: nothing is confirmed."""


def _check_address(row, address_digest):
    # A link mailed before links named their address (address_digest None) was mailed to the address the
    # contact had then; it is accepted as before, for its remaining life (links.CONFIRM_MAX_AGE, 30 days).
    # A link mailed before a rotation of SECRET_KEY names the address by the old key's digest.
    if address_digest is not None and address_digest not in address_digests(row.email):
        raise LinkNoLongerApplies()


def pending_or_done(account_id, contact_id, address_digest=None):
    """The contact a confirmation link names, as JSON, or None when it is gone; LinkNoLongerApplies."""
    with read_connection() as connection:
        row = connection.execute(select(contacts).where(contacts.c.id == contact_id,
                                                        contacts.c.account_id == account_id)).first()
    if row is None:
        return None
    _check_address(row, address_digest)
    return as_json(row._mapping)


def confirm(account_id, contact_id, address_digest=None):
    """Set confirmed_at (once) and queue contact.confirmed in the same transaction. Returns the contact as
    JSON, or None when it is gone; a second press changes nothing. LinkNoLongerApplies when the contact no
    longer holds the address the link was mailed to (address_digest)."""
    with write_connection() as connection:
        row = connection.execute(select(contacts).where(contacts.c.id == contact_id,
                                                        contacts.c.account_id == account_id).with_for_update()).first()
        if row is None:
            return None
        _check_address(row, address_digest)
        if row.confirmed_at is not None:
            return as_json(row._mapping)
        now = utcnow()
        connection.execute(update(contacts).where(contacts.c.id == contact_id).values(confirmed_at=now))
        contact = as_json({**row._mapping, "confirmed_at": now})
        events.queue_event(connection, account_id, "contact.confirmed", contact)
    return contact
