"""One person's data in an account: hand it all over (GDPR Art. 15) or erase it all (Art. 17).

Every feature that stores something about a visitor's address declares a personal_data.Part and is listed
in PARTS, after the parts it depends on. Access reads every part; erasure runs them last-first in one
transaction and records an Erasure, which also keeps autoresponders from writing to the address again.
Both the record and the suppression know the address only by its keyed digest."""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, exists, select, update

from . import idempotency, spam_folder
from .addresses import inbox, normalise_email
from .autoresponders.models import Suppression
from .contacts import as_json, submission_as_json, timestamp
from .database import insert_statement, read_connection, write_connection
from .deliveries import outbox
from .ids import random_id
from .models import Account, Contact, Erasure, Submission, utcnow
from .personal_data import Part, address_digest, address_digests, holds_address

contacts = Contact.__table__
submissions = Submission.__table__
accounts = Account.__table__
erasures = Erasure.__table__
suppressions = Suppression.__table__


def _contact_ids(account_id, email):
    return select(contacts.c.id).where(contacts.c.account_id == account_id, contacts.c.email == email)


def _hold_address(connection, account_id, email, now):
    """Make every upsert of the address wait for this transaction: lock the account's contact row for it or,
    when there is none, insert one and delete it again (a concurrent INSERT waits on its index entry until we
    end). Without it, at READ COMMITTED, a post committing between the erasure's statements left behind what
    it wrote before the next one ran (its queued notification), or merged into a contact erased after it."""
    placeholder_id = random_id("con_")
    held = connection.execute(
        insert_statement(contacts).values(id=placeholder_id, account_id=account_id, email=email, fields={},
                                          created_at=now, updated_at=now)
        .on_conflict_do_update(index_elements=[contacts.c.account_id, contacts.c.email],
                               set_={"email": contacts.c.email})
        .returning(contacts.c.id)).scalar_one()
    if held == placeholder_id:  # only a lock: it is neither counted nor erased
        connection.execute(delete(contacts).where(contacts.c.id == placeholder_id))


def _find_contacts(connection, account_id, email):
    rows = connection.execute(select(contacts).where(contacts.c.account_id == account_id,
                                                     contacts.c.email == email)).all()
    return [as_json(row._mapping) for row in rows]


def _erase_contacts(connection, account_id, email):
    deleted = connection.execute(
        delete(contacts).where(contacts.c.account_id == account_id, contacts.c.email == email)).rowcount
    if deleted:  # the account's counter stays in step with its rows
        connection.execute(update(accounts).where(accounts.c.id == account_id)
                           .values(contact_count=accounts.c.contact_count - deleted))
    return deleted


def _submissions_about(connection, account_id, email):
    """The contact's submissions, and any other whose email was the address (sent before the contact's
    email was changed). The LIKE narrows the rows; the exact test is made on the parsed fields."""
    contact_ids = set(connection.execute(_contact_ids(account_id, email)).scalars())
    rows = connection.execute(
        select(submissions).where(submissions.c.account_id == account_id,
                                  submissions.c.contact_id.in_(contact_ids) | holds_address(submissions.c.fields, email))
        .order_by(submissions.c.created_at, submissions.c.id)).all()
    return [row for row in rows if row.contact_id in contact_ids or row.fields.get("email") == email]


def _find_submissions(connection, account_id, email):
    return [submission_as_json(row._mapping) for row in _submissions_about(connection, account_id, email)]


def _erase_submissions(connection, account_id, email):
    ids = [row.id for row in _submissions_about(connection, account_id, email)]
    for start in range(0, len(ids), 500):  # a bounded number of parameters per statement
        connection.execute(delete(submissions).where(submissions.c.id.in_(ids[start:start + 500])))
    return len(ids)


CONTACTS = Part("contacts", ("contacts",), _find_contacts, _erase_contacts)
SUBMISSIONS = Part("submissions", ("submissions",), _find_submissions, _erase_submissions)

# Listed after what they depend on; erased last-first. New features add their Part here.
PARTS = (CONTACTS, SUBMISSIONS, idempotency.PERSONAL_DATA, outbox.PERSONAL_DATA, spam_folder.PERSONAL_DATA)

# Tables that hold nothing about the people who write to an account: its owner, keys, sign-in links, and
# the erasure list itself (digests only).
# Owners' own records, not visitors' data: sign-ins, and mail counts keyed by a digest of the owner's inbox.
# Webhooks and extra notification recipients are the owner's settings.
# Autoresponders are the owner's templates; autoresponses (the limits' count) and suppressions know addresses
# and client IPs only by keyed digests, like erasures.
# used_challenges: digests of ALTCHA challenges already solved, nothing about who solved them.
# contact_count_changes: numbers, +1 per new contact, until folded into the account's count.
NOT_PERSONAL = ("accounts", "api_keys", "magic_links", "erasures", "dashboard_sessions", "mail_counts", "webhooks",
                "notification_recipients", "used_challenges", "autoresponders", "autoresponses", "suppressions",
                "contact_count_changes")


@dataclass(frozen=True)
class PersonalData:
    email: str
    held: dict  # part name → records

    def as_json(self):
        return {"email": self.email, **self.held}


@dataclass(frozen=True)
class ErasureReport:
    id: str
    counts: dict  # part name → rows removed
    created_at: datetime

    def as_json(self):
        return {"id": self.id, "erased": self.counts, "created_at": timestamp(self.created_at)}


def access(account_id, email):
    """Everything the account holds about the address; InvalidEmail for a bad one."""
    email = normalise_email(email)
    with read_connection() as connection:
        return PersonalData(email, {part.name: part.find(connection, account_id, email) for part in PARTS})


def erase(account_id, email, requested_via):
    """Erase everything the account holds about the address, in one transaction, and record it."""
    email = normalise_email(email)
    report_id, now = random_id("era_"), utcnow()
    with write_connection() as connection:
        _hold_address(connection, account_id, email, now)
        erased = {part.name: part.erase(connection, account_id, email) for part in reversed(PARTS)}
        counts = {part.name: erased[part.name] for part in PARTS}
        connection.execute(erasures.insert().values(
            id=report_id, account_id=account_id, address_digest=address_digest(email), counts=counts,
            requested_via=requested_via, created_at=now))
    return ErasureReport(report_id, counts, now)


def suppressed(account_id, email, connection=None):
    """Whether autoresponders must not write to the address: it was erased from the account, or it used an
    autoresponse's unsubscribe link, in this spelling or its mailbox's (addresses.inbox: the stop links name
    the mailbox). connection: read inside the caller's transaction."""
    # Under every key (a list kept before a rotation still holds); most addresses are their own mailbox.
    digests = [digest for spelled in {normalise_email(email), inbox(email)} for digest in address_digests(spelled)]
    query = select(exists().where(erasures.c.account_id == account_id, erasures.c.address_digest.in_(digests))
                   | exists().where(suppressions.c.account_id == account_id,
                                    suppressions.c.address_digest.in_(digests)))
    if connection is not None:
        return connection.execute(query).scalar()
    with read_connection() as connection:
        return connection.execute(query).scalar()


def suppress(account_id, digest):
    """Put an address (by its digest) on the account's suppression list; pressing the link again is harmless."""
    with write_connection() as connection:
        connection.execute(insert_statement(suppressions).values(
            account_id=account_id, address_digest=digest, created_at=utcnow()).on_conflict_do_nothing())
