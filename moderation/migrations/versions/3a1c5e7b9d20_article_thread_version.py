"""article thread_version: every worker knows when its rendered copy of a thread is stale

Revision ID: 3a1c5e7b9d20
Revises: 36ae756c5be2
Create Date: 2026-11-26 02:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '3a1c5e7b9d20'
down_revision = '36ae756c5be2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('thread_version', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.drop_column('thread_version')
