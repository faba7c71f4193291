"""challenges: a provider's site key, sealed secret and score threshold per key; ALTCHA challenges already used

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 01:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('api_keys') as batch:
        batch.add_column(sa.Column('challenge_site_key', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('challenge_secret', sa.Text(), nullable=True))
        batch.add_column(sa.Column('challenge_threshold', sa.Float(), nullable=True))
    op.create_table(
        'used_challenges',
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('digest'),
    )
    op.create_index('ix_used_challenges_expires_at', 'used_challenges', ['expires_at'])


def downgrade():
    op.drop_index('ix_used_challenges_expires_at', table_name='used_challenges')
    op.drop_table('used_challenges')
    with op.batch_alter_table('api_keys') as batch:
        batch.drop_column('challenge_threshold')
        batch.drop_column('challenge_secret')
        batch.drop_column('challenge_site_key')
