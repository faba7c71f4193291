"""dashboard sessions kept on the server; key-request mails counted per inbox

Revision ID: 0002
Revises: 0001

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    # Sign-ins made before this release live only in their cookies: they end, and owners sign in again.
    op.create_table('dashboard_sessions',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('dashboard_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dashboard_sessions_account_id'), ['account_id'], unique=False)

    op.create_table('mail_counts',
    sa.Column('inbox', sa.String(length=64), nullable=False),
    sa.Column('window_start', sa.DateTime(), nullable=False),
    sa.Column('sent', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('inbox', 'window_start')
    )
    with op.batch_alter_table('mail_counts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mail_counts_window_start'), ['window_start'], unique=False)


def downgrade():
    with op.batch_alter_table('mail_counts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mail_counts_window_start'))
    op.drop_table('mail_counts')
    with op.batch_alter_table('dashboard_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dashboard_sessions_account_id'))
    op.drop_table('dashboard_sessions')
