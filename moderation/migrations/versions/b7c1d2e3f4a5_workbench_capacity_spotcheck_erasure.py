"""workbench: threshold changes, spot-checks, erasures; decisions outlive erased comments

Revision ID: b7c1d2e3f4a5
Revises: 3b1d5c2a9e71
Create Date: 2026-11-26 01:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7c1d2e3f4a5'
down_revision = '3b1d5c2a9e71'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('threshold_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('moderator_id', sa.Integer(), nullable=False),
    sa.Column('model_version', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=16), nullable=False),
    sa.Column('review_before', sa.Double(), nullable=False),
    sa.Column('review_after', sa.Double(), nullable=False),
    sa.Column('per_day', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['moderator_id'], ['moderators.id'], name=op.f('fk_threshold_changes_moderator_id_moderators')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_threshold_changes'))
    )
    with op.batch_alter_table('threshold_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_threshold_changes_model_version'), ['model_version'], unique=False)

    op.create_table('spot_checks',
    sa.Column('comment_id', sa.Integer(), nullable=False),
    sa.Column('sampled_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['comment_id'], ['comments.id'], name=op.f('fk_spot_checks_comment_id_comments')),
    sa.PrimaryKeyConstraint('comment_id', name=op.f('pk_spot_checks'))
    )

    op.create_table('erasures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('moderator_id', sa.Integer(), nullable=True),
    sa.Column('comments', sa.Integer(), nullable=False),
    sa.Column('labelled', sa.Integer(), nullable=False),
    sa.Column('first_label_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['moderator_id'], ['moderators.id'], name=op.f('fk_erasures_moderator_id_moderators')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_erasures'))
    )
    with op.batch_alter_table('erasures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_erasures_created_at'), ['created_at'], unique=False)

    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.alter_column('comment_id', existing_type=sa.Integer(), nullable=True)


def downgrade():
    # Decisions of erased comments have no comment any more; they cannot be made NOT NULL again.
    op.execute("DELETE FROM decisions WHERE comment_id IS NULL")
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.alter_column('comment_id', existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table('erasures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_erasures_created_at'))
    op.drop_table('erasures')
    op.drop_table('spot_checks')
    with op.batch_alter_table('threshold_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_threshold_changes_model_version'))
    op.drop_table('threshold_changes')
