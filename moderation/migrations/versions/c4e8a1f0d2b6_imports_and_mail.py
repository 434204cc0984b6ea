"""imports and mail: origin ids of imported comments (and import labels), reply subscriptions, the outbox

Revision ID: c4e8a1f0d2b6
Revises: b7c1d2e3f4a5
Create Date: 2026-11-26 01:45:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c4e8a1f0d2b6'
down_revision = 'b7c1d2e3f4a5'
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

    op.create_table('reply_subscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('comment_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['comment_id'], ['comments.id'], name=op.f('fk_reply_subscriptions_comment_id_comments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reply_subscriptions')),
    sa.UniqueConstraint('comment_id', name=op.f('uq_reply_subscriptions_comment_id'))
    )
    op.create_table('outbox_mail',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('to_address', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('headers', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.String(length=300), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_mail')),
    sa.UniqueConstraint('key', name=op.f('uq_outbox_mail_key'))
    )
    with op.batch_alter_table('outbox_mail', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_mail_due', ['sent_at', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_mail_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_mail_kind'), ['kind'], unique=False)


def downgrade():
    with op.batch_alter_table('outbox_mail', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_mail_kind'))
        batch_op.drop_index(batch_op.f('ix_outbox_mail_created_at'))
        batch_op.drop_index('ix_outbox_mail_due')
    op.drop_table('outbox_mail')
    op.drop_table('reply_subscriptions')
    with op.batch_alter_table('imported_comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_imported_comments_comment_id'))
    op.drop_table('imported_comments')
