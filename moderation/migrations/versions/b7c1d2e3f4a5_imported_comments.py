"""imported comments: origin ids for idempotent imports, and import labels

Revision ID: b7c1d2e3f4a5
Revises: fe65b69fad77
Create Date: 2026-11-26 01:45:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b7c1d2e3f4a5'
down_revision = 'fe65b69fad77'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('imported_comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('origin', sa.String(length=16), nullable=False),
    sa.Column('external_id', sa.String(length=300), nullable=False),
    sa.Column('comment_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=16), nullable=True),
    sa.Column('imported_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['comment_id'], ['comments.id'], name=op.f('fk_imported_comments_comment_id_comments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_imported_comments')),
    sa.UniqueConstraint('origin', 'external_id', name=op.f('uq_imported_comments_origin'))
    )
    with op.batch_alter_table('imported_comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_imported_comments_comment_id'), ['comment_id'], unique=False)


def downgrade():
    with op.batch_alter_table('imported_comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_imported_comments_comment_id'))
    op.drop_table('imported_comments')
