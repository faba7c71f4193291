"""autoresponders and double opt-in: per-key templates, the count the abuse limits read, the suppression
list, and contacts.confirmed_at (null for every existing contact: none was ever asked to confirm)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22 01:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('contacts') as batch:
        batch.add_column(sa.Column('confirmed_at', sa.DateTime(), nullable=True))
    op.create_table('autoresponders',
    sa.Column('key_id', sa.String(length=32), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('double_opt_in', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['key_id'], ['api_keys.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('key_id')
    )
    op.create_table('autoresponses',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('address_digest', sa.String(length=64), nullable=False),
    sa.Column('client_digest', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('autoresponses') as batch:
        batch.create_index('ix_autoresponses_created', ['created_at'], unique=False)
        batch.create_index('ix_autoresponses_account_created', ['account_id', 'created_at'], unique=False)
        batch.create_index('ix_autoresponses_address', ['account_id', 'address_digest', 'created_at'], unique=False)
        batch.create_index('ix_autoresponses_client', ['client_digest', 'created_at'], unique=False)
    op.create_table('suppressions',
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('address_digest', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('account_id', 'address_digest')
    )


def downgrade():
    op.drop_table('suppressions')
    with op.batch_alter_table('autoresponses') as batch:
        batch.drop_index('ix_autoresponses_client')
        batch.drop_index('ix_autoresponses_address')
        batch.drop_index('ix_autoresponses_account_created')
        batch.drop_index('ix_autoresponses_created')
    op.drop_table('autoresponses')
    op.drop_table('autoresponders')
    with op.batch_alter_table('contacts') as batch:
        batch.drop_column('confirmed_at')
