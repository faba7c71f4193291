"""submissions numbered per contact (submissions.seq, contacts.submission_seq), so pruning a contact's oldest
submissions past SUBMISSIONS_PER_CONTACT is one index range, not a walk past the newest 1,000 on every post;
existing submissions are numbered oldest first

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 15:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

NUMBERED = ("SELECT id, row_number() OVER (PARTITION BY contact_id ORDER BY created_at, id) AS seq "
            "FROM submissions")


def upgrade():
    # Plain DDL, not a batch: a batch may rebuild the table on SQLite, and the search triggers with it.
    op.add_column('contacts', sa.Column('submission_seq', sa.BigInteger(), server_default='0', nullable=False))
    op.add_column('submissions', sa.Column('seq', sa.BigInteger(), nullable=True))
    if op.get_bind().dialect.name == 'sqlite':  # no UPDATE … FROM before SQLite 3.33
        op.execute(f"CREATE TEMPORARY TABLE numbered_submissions AS {NUMBERED}")
        op.execute("CREATE UNIQUE INDEX temp.numbered_submissions_id ON numbered_submissions (id)")
        op.execute("UPDATE submissions SET seq = (SELECT seq FROM numbered_submissions "
                   "WHERE numbered_submissions.id = submissions.id)")
        op.execute("DROP TABLE temp.numbered_submissions")
    else:
        op.execute(f"UPDATE submissions SET seq = numbered.seq FROM ({NUMBERED}) AS numbered "
                   "WHERE numbered.id = submissions.id")
    op.create_index('ix_submissions_contact_seq', 'submissions', ['contact_id', 'seq'], unique=False)
    op.execute("UPDATE contacts SET submission_seq = coalesce((SELECT max(seq) FROM submissions "
               "WHERE submissions.contact_id = contacts.id), 0)")


def downgrade():
    op.drop_index('ix_submissions_contact_seq', table_name='submissions')
    # ALTER TABLE … DROP COLUMN (SQLite 3.35 and later), not a batch, for the same reason as above.
    op.execute("ALTER TABLE submissions DROP COLUMN seq")
    op.execute("ALTER TABLE contacts DROP COLUMN submission_seq")
