"""Moves between the spam folder and the contacts: "Not spam" (into contacts, as if just posted) and the
inbox's "Move to spam" (out of contacts, reason "owner")."""
from sqlalchemy import delete, exists, select, update

from . import keys, spam_folder, submit
from .database import write_connection
from .deliveries import events
from .extensions import db
from .inbox import valid_ids as valid_submission_ids
from .models import Account, Contact, Submission, utcnow
from .storage import Source
from .submission_fields import Controls, Door, FieldsRefused, contact_fields

submissions = Submission.__table__
contacts = Contact.__table__
accounts = Account.__table__
spam = spam_folder.spam
# "Not spam" checks a kept submission as a door checks a post: an address, no read-only fields.
FOLDER = Door("spam folder")


class CannotBeContact(ValueError):
    """A spam submission that cannot become a contact (no valid address, read-only fields): the message says why."""


def _principal(account_id, key_id):
    """Who "Not spam" stores as: the submission's key, or, when the key was deleted, the account alone
    (webhook events, no notification mail: that setting went with the key)."""
    owner_email = db.session.scalar(select(Account.email).where(Account.id == account_id))
    key = keys.key_of(account_id, key_id) if key_id else None
    if key is not None:
        return keys.principal_of(key, owner_email)
    return keys.Principal(None, "publishable", account_id, owner_email, (), notify=False)


def not_spam(account_id, spam_id):
    """Move one spam submission into the contacts: the upsert, the submission and its deliveries, exactly as
    if it had just been posted through its key (its "only these fields" rule applied), and out of the
    folder in the same transaction. Returns the contact; SpamNotFound, CannotBeContact, submit.SubmitError."""
    item = spam_folder.get(account_id, spam_id)
    try:
        email, fields = contact_fields(FOLDER, {**item.fields, "email": item.email})
    except FieldsRefused as refused:
        raise CannotBeContact(f"This submission cannot become a contact: {refused.message}.") from None
    principal = _principal(account_id, item.key_id)

    def leave_folder(connection):
        gone = connection.execute(delete(spam).where(spam.c.id == spam_id, spam.c.account_id == account_id))
        if not gone.rowcount:  # moved or deleted meanwhile (a double click): store nothing twice
            raise spam_folder.SpamNotFound(spam_id)

    contact, _created = submit.store(principal, email, principal.rules.kept(fields), Source(item.page, item.user_agent),
                                     Controls(), also=leave_folder)
    return contact


def not_spam_many(account_id, ids):
    """"Not spam" for each of ids; (how many moved, the first problem's message or None)."""
    moved, problem = 0, None
    for spam_id in spam_folder.valid_ids(ids):
        try:
            not_spam(account_id, spam_id)
            moved += 1
        except spam_folder.SpamNotFound:
            continue
        except (CannotBeContact, submit.SubmitError) as error:
            problem = problem or str(error)
    return moved, problem


def _drop_emptied_contacts(connection, account_id, contact_ids):
    """Delete the contacts among contact_ids left without any submission: they existed only through what
    is now spam (contact.deleted goes to webhooks, the account's counter follows)."""
    ours = (contacts.c.account_id == account_id) & contacts.c.id.in_(contact_ids)
    left_empty = ~exists().where(submissions.c.contact_id == contacts.c.id)
    # Locked first, in one order (two moves do not deadlock): a post merging into one of them now waits, and
    # makes a new contact if this one goes. A post that merged first is seen by the DELETE, a statement of its
    # own (a newer snapshot at READ COMMITTED). Re-checked within one DELETE, it would not be: PostgreSQL
    # re-checks a row it waited for against the statement's old snapshot, and the post's submission went too.
    connection.execute(select(contacts.c.id).where(ours).order_by(contacts.c.id).with_for_update())
    emptied = connection.execute(delete(contacts).where(ours, left_empty)
                                 .returning(contacts.c.id, contacts.c.email)).all()
    if not emptied:
        return
    connection.execute(update(accounts).where(accounts.c.id == account_id)
                       .values(contact_count=accounts.c.contact_count - len(emptied)))
    for row in emptied:
        events.queue_event(connection, account_id, "contact.deleted", {"id": row.id, "email": row.email})


def move_to_spam(account_id, ids):
    """Move the account's submissions among ids out of the inbox into the spam folder (reason "owner");
    a contact left with no submission goes too. Returns how many moved."""
    now = utcnow()
    with write_connection() as connection:
        # Deleted first, and only what this transaction deleted is copied: of two clicks at once, the second
        # waits for the first's delete and then finds nothing to move (no second copy in the folder).
        rows = connection.execute(delete(submissions).where(
            submissions.c.account_id == account_id, submissions.c.id.in_(valid_submission_ids(ids)))
            .returning(*submissions.c)).all()
        if not rows:
            return 0
        connection.execute(spam.insert(), [
            spam_folder.row_values(account_id, row.key_id, row.fields.get("email"),
                                   {k: v for k, v in row.fields.items() if k != "email"}, spam_folder.OWNER, "",
                                   Source(row.page, row.user_agent), now) for row in rows])
        _drop_emptied_contacts(connection, account_id, {row.contact_id for row in rows})
        spam_folder.bound(connection, account_id, now)
    return len(rows)
