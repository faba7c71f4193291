"""deliveries: only a webhook's deliveries in ix_deliveries_webhook_newest (a partial index), not every mail
under NULL

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 03:00:00

Every submission queues its owner's mail, and each added an entry under NULL to the index that pages a
webhook's deliveries: a page of SQLite's log, and an index insert on PostgreSQL, for a lookup that never
asks for NULL. No row changes; the index is built again, with the same name and columns.
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

_COLUMNS = ['webhook_id', sa.literal_column('created_at DESC'), sa.literal_column('id DESC')]
_HAS_WEBHOOK = sa.text('webhook_id IS NOT NULL')


def upgrade():
    op.drop_index('ix_deliveries_webhook_newest', table_name='deliveries')
    op.create_index('ix_deliveries_webhook_newest', 'deliveries', _COLUMNS, unique=False,
                    sqlite_where=_HAS_WEBHOOK, postgresql_where=_HAS_WEBHOOK)


def downgrade():
    op.drop_index('ix_deliveries_webhook_newest', table_name='deliveries')
    op.create_index('ix_deliveries_webhook_newest', 'deliveries', _COLUMNS, unique=False)
