"""site learning: training job kinds, import runs, admin settings

Revision ID: 5e1a7c3d9b42
Revises: 3a1c5e7b9d20
Create Date: 2026-12-03 05:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '5e1a7c3d9b42'
down_revision = '3a1c5e7b9d20'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('training_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), server_default='retrain', nullable=False))

    op.create_table('import_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('origin', sa.String(length=16), nullable=False),
    sa.Column('filename', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('rejected_as', sa.String(length=16), nullable=True),
    sa.Column('comments', sa.Integer(), nullable=False),
    sa.Column('labels', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_runs'))
    )
    with op.batch_alter_table('imported_comments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('run_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_imported_comments_run_id'), ['run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_imported_comments_label'), ['label'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_imported_comments_run_id_import_runs'), 'import_runs',
                                    ['run_id'], ['id'])

    op.create_table('settings',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['moderators.id'], name=op.f('fk_settings_updated_by_id_moderators')),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_settings'))
    )


def downgrade():
    op.drop_table('settings')
    with op.batch_alter_table('imported_comments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_imported_comments_run_id_import_runs'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_imported_comments_label'))
        batch_op.drop_index(batch_op.f('ix_imported_comments_run_id'))
        batch_op.drop_column('run_id')
    op.drop_table('import_runs')
    with op.batch_alter_table('training_jobs', schema=None) as batch_op:
        batch_op.drop_column('kind')
