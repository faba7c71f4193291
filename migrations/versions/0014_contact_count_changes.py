"""contact_count_changes: on PostgreSQL a new contact adds a change row instead of updating its account's
contact_count (the create path's hot row), and the workers fold the changes into the count later

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 19:00:00

Every account's count stays as it is; the table starts empty. Going down, the changes not yet folded are
added to their accounts' counts first, so no count changes.
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'contact_count_changes',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('delta', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_contact_count_changes_account_id'), 'contact_count_changes', ['account_id'], unique=False)


def downgrade():
    op.execute("UPDATE accounts SET contact_count = contact_count + coalesce((SELECT sum(delta) "
               "FROM contact_count_changes WHERE contact_count_changes.account_id = accounts.id), 0)")
    op.drop_index(op.f('ix_contact_count_changes_account_id'), table_name='contact_count_changes')
    op.drop_table('contact_count_changes')
