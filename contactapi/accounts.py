"""Accounts: an owner email address, found or created once it is proven."""
from sqlalchemy import select

from .addresses import normalise_email
from .database import insert_statement, write_transaction
from .extensions import db
from .models import Account, utcnow


def find_account(email):
    return db.session.scalar(select(Account).where(Account.email == normalise_email(email)))


def get_or_create_account(email):
    """The account for this address, created if new (safe when two requests race to create it)."""
    email = normalise_email(email)
    with write_transaction() as session:
        statement = insert_statement(Account.__table__).values(email=email, contact_count=0, created_at=utcnow())
        session.execute(statement.on_conflict_do_nothing(index_elements=["email"]))
    return db.session.scalar(select(Account).where(Account.email == email))
