"""model registry in the database: versions, their files, the active alias and its history, shared by every server

Revision ID: 04b25f301a4d
Revises: 97852a679b59
Create Date: 2026-12-03 04:04:43

"""
from alembic import op
import sqlalchemy as sa


revision = '04b25f301a4d'
down_revision = '97852a679b59'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('model_versions',
    sa.Column('version', sa.String(length=64), nullable=False),
    sa.Column('added_at', sa.DateTime(), nullable=False),
    sa.Column('card', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('version', name=op.f('pk_model_versions'))
    )
    op.create_table('model_aliases',
    sa.Column('name', sa.String(length=16), nullable=False),
    sa.Column('version', sa.String(length=64), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['version'], ['model_versions.version'], name=op.f('fk_model_aliases_version_model_versions')),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_model_aliases'))
    )
    op.create_table('model_files',
    sa.Column('version', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['version'], ['model_versions.version'], name=op.f('fk_model_files_version_model_versions')),
    sa.PrimaryKeyConstraint('version', 'name', name=op.f('pk_model_files'))
    )
    op.create_table('model_promotions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('version', sa.String(length=64), nullable=False),
    sa.Column('previous', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['version'], ['model_versions.version'], name=op.f('fk_model_promotions_version_model_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_model_promotions'))
    )


def downgrade():
    op.drop_table('model_promotions')
    op.drop_table('model_files')
    op.drop_table('model_aliases')
    op.drop_table('model_versions')
