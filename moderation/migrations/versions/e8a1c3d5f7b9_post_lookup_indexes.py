"""indexes for what each post asks: the same text by email, approvals by email, an article's top-level comments

Comments stored before have no text_key: the duplicate check looks back only
DUPLICATE_WINDOW_SECONDS (10 minutes), so they need none.

Revision ID: e8a1c3d5f7b9
Revises: d5e7f9a1b3c4
Create Date: 2026-12-03 10:05:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'e8a1c3d5f7b9'
down_revision = 'd5e7f9a1b3c4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('text_key', sa.BigInteger(), nullable=True))
        batch_op.drop_index(batch_op.f('ix_comments_email'))
        batch_op.create_index('ix_comments_email_text', ['email', 'text_key', 'article_id', 'created_at'],
                              unique=False)
        batch_op.create_index('ix_comments_email_decided', ['email', 'decided_at', 'status'], unique=False)
        batch_op.create_index('ix_comments_article_roots',
                              ['article_id', 'parent_id', 'created_at', 'status', 'hidden_at', 'deleted_at', 'id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_index('ix_comments_article_roots')
        batch_op.drop_index('ix_comments_email_decided')
        batch_op.drop_index('ix_comments_email_text')
        batch_op.create_index(batch_op.f('ix_comments_email'), ['email'], unique=False)
        batch_op.drop_column('text_key')
