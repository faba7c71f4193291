"""How many contacts an account has, for the list's total without a count(*): the account's contact_count plus
its changes not yet folded into it (contact_count_changes, migration 0014).

Why the changes: every new contact of an account bumps one number. On PostgreSQL, bumping it in the account's
row made that row the create path's hot spot: each transaction held the row's lock until its commit, so
concurrent creates for one account queued on it (bench/RESULTS.md). There a new contact adds a change row (+1)
instead, which locks nothing another create needs, and the delivery workers fold the changes into
contact_count when the requests pause, or every few seconds under load (fold, from deliveries/worker.py).
SQLite writes one transaction at a time anyway: a new contact bumps contact_count in place there and the
table stays empty. Deletes, rarer, change contact_count in place on both (contacts.py, people.py,
spam_moves.py)."""
from sqlalchemy import bindparam, func, insert, literal_column, select, update

from .database import read_connection, take_turn, write_connection
from .models import Account, ContactCountChange

accounts = Account.__table__
changes = ContactCountChange.__table__
FOLD_BATCH = 10_000  # changes one fold takes, in one write transaction

# The total of the account whose row is read (a correlated subquery): the count and its changes are read in
# one statement, from one snapshot, so a fold committing meanwhile never counts a change twice or not at all.
TOTAL = accounts.c.contact_count + func.coalesce(
    select(func.sum(changes.c.delta)).where(changes.c.account_id == accounts.c.id).scalar_subquery(), 0)

# PostgreSQL: up to %(limit)s changes (the oldest first, those no other fold holds) deleted and added to their
# accounts' counts, in one statement; returns how many changes were folded.
_FOLD = (
    "WITH moved AS (DELETE FROM contact_count_changes WHERE id IN (SELECT id FROM contact_count_changes "
    "ORDER BY id LIMIT %(limit)s FOR UPDATE SKIP LOCKED) RETURNING account_id, delta), "
    "summed AS (SELECT account_id, sum(delta) AS delta FROM moved GROUP BY account_id), "
    "folded AS (UPDATE accounts SET contact_count = accounts.contact_count + summed.delta FROM summed "
    "WHERE accounts.id = summed.account_id) "
    "SELECT count(*) FROM moved"
)
_ANY_CHANGE = "SELECT 1 FROM contact_count_changes LIMIT 1"
_FOLDERS_TURN = 0xC0C0C7  # the turn folds take (database.take_turn): two at once could deadlock on account rows


def change_if_new(upserted, is_new):
    """PostgreSQL: the INSERT of a +1 change for the account p_account if is_new holds of the contact row that
    upserted (the CTE of the contact's insert-or-lock) returns (storage.py: it is the one inserted)."""
    return insert(changes).from_select(
        ["account_id", "delta"],
        select(bindparam("p_account", type_=changes.c.account_id.type), literal_column("1"))
        .select_from(upserted).where(is_new))


# SQLite: a new contact of the account p_account counted in place.
BUMP_IN_PLACE = update(accounts).where(accounts.c.id == bindparam("p_account")) \
    .values(contact_count=accounts.c.contact_count + 1)


def fold(limit=FOLD_BATCH):
    """Fold up to limit changes into their accounts' contact_count, in one write transaction; returns how many
    were folded. 0, with no write begun, when there is none (always on SQLite) or another fold is at work."""
    with read_connection() as connection:
        if connection.dialect.name != "postgresql" or connection.exec_driver_sql(_ANY_CHANGE).first() is None:
            return 0
    with write_connection() as connection:
        if not take_turn(connection, _FOLDERS_TURN, wait=False):
            return 0
        return connection.exec_driver_sql(_FOLD, {"limit": limit}).scalar()
