"""content rules per key, and the spam folder

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 01:10:00

api_keys.content_rules: a publishable key's content rules as JSON (NULL: none, as every existing key).
spam_submissions: what spam.judge refused (or an owner moved out of the inbox), kept 30 days at most.
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('api_keys') as batch:
        batch.add_column(sa.Column('content_rules', sa.JSON(), nullable=True))
    op.create_table(
        'spam_submissions',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('key_id', sa.String(length=32), nullable=True),
        sa.Column('email', sa.String(length=320), nullable=True),
        sa.Column('address', sa.String(length=320), nullable=True),
        sa.Column('fields', sa.JSON(), nullable=False),
        sa.Column('reason', sa.String(length=32), nullable=False),
        sa.Column('detail', sa.String(length=300), server_default='', nullable=False),
        sa.Column('page', sa.String(length=2048), nullable=True),
        sa.Column('user_agent', sa.String(length=512), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_spam_submissions_account_newest', 'spam_submissions',
                    ['account_id', sa.literal_column('created_at DESC'), sa.literal_column('id DESC')], unique=False)


def downgrade():
    op.drop_index('ix_spam_submissions_account_newest', table_name='spam_submissions')
    op.drop_table('spam_submissions')
    with op.batch_alter_table('api_keys') as batch:
        batch.drop_column('content_rules')
