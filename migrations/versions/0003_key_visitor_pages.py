"""per-key visitor pages: default redirect after success and a thank-you message

Revision ID: 0003
Revises: 0005
Create Date: 2026-11-21 22:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('api_keys') as batch:
        batch.add_column(sa.Column('success_url', sa.String(length=2000), nullable=True))
        batch.add_column(sa.Column('thank_you_message', sa.String(length=1000), nullable=True))


def downgrade():
    with op.batch_alter_table('api_keys') as batch:
        batch.drop_column('thank_you_message')
        batch.drop_column('success_url')
