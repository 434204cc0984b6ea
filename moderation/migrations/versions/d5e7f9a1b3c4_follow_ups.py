"""follow-ups: a new comment's work that runs after the reader's response, kept until done

Revision ID: d5e7f9a1b3c4
Revises: 04b25f301a4d
Create Date: 2026-12-03 07:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'd5e7f9a1b3c4'
down_revision = '04b25f301a4d'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('follow_ups',
    sa.Column('comment_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('signals', sa.JSON(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['comment_id'], ['comments.id'], name=op.f('fk_follow_ups_comment_id_comments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('comment_id', name=op.f('pk_follow_ups'))
    )
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_follow_ups_created_at'), ['created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_follow_ups_created_at'))
    op.drop_table('follow_ups')
