"""near-duplicate signatures: MinHash per comment and LSH band keys

Revision ID: 3b1d5c2a9e71
Revises: fe65b69fad77
Create Date: 2026-11-26 01:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3b1d5c2a9e71'
down_revision = 'fe65b69fad77'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('comment_signatures',
    sa.Column('comment_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('signature', sa.LargeBinary(length=256), nullable=False),
    sa.ForeignKeyConstraint(['comment_id'], ['comments.id'], name=op.f('fk_comment_signatures_comment_id_comments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('comment_id', name=op.f('pk_comment_signatures'))
    )
    with op.batch_alter_table('comment_signatures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comment_signatures_group_id'), ['group_id'], unique=False)

    op.create_table('comment_bands',
    sa.Column('key', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('comment_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['comment_id'], ['comments.id'], name=op.f('fk_comment_bands_comment_id_comments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('key', 'comment_id', name=op.f('pk_comment_bands'))
    )
    with op.batch_alter_table('comment_bands', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comment_bands_comment_id'), ['comment_id'], unique=False)


def downgrade():
    with op.batch_alter_table('comment_bands', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_comment_bands_comment_id'))
    op.drop_table('comment_bands')
    with op.batch_alter_table('comment_signatures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_comment_signatures_group_id'))
    op.drop_table('comment_signatures')
