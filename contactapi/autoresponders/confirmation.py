"""Double opt-in: a contact confirms its address by pressing the button of its emailed link. The
confirmation lives in contacts.confirmed_at, never in the fields, and emits contact.confirmed."""
from sqlalchemy import select, update

from ..contacts import as_json
from ..database import read_connection, write_connection
from ..deliveries import events
from ..models import Contact, utcnow

contacts = Contact.__table__


def pending_or_done(account_id, contact_id):
    """The contact a confirmation link names, as JSON, or None when it is gone."""
    with read_connection() as connection:
        row = connection.execute(select(contacts).where(contacts.c.id == contact_id,
                                                        contacts.c.account_id == account_id)).first()
    return None if row is None else as_json(row._mapping)


def confirm(account_id, contact_id):
    """Set confirmed_at (once) and queue contact.confirmed in the same transaction. Returns the contact as
    JSON, or None when it is gone; a second press changes nothing."""
    with write_connection() as connection:
        row = connection.execute(select(contacts).where(contacts.c.id == contact_id,
                                                        contacts.c.account_id == account_id).with_for_update()).first()
        if row is None:
            return None
        if row.confirmed_at is not None:
            return as_json(row._mapping)
        now = utcnow()
        connection.execute(update(contacts).where(contacts.c.id == contact_id).values(confirmed_at=now))
        contact = as_json({**row._mapping, "confirmed_at": now})
        events.queue_event(connection, account_id, "contact.confirmed", contact)
    return contact
