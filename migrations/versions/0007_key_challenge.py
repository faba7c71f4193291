"""per-key challenge: which proof a publishable key's visitors must give (none by default)

Revision ID: 0007
Revises: 0004
Create Date: 2026-11-22 01:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('api_keys') as batch:
        batch.add_column(sa.Column('challenge', sa.String(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table('api_keys') as batch:
        batch.drop_column('challenge')
