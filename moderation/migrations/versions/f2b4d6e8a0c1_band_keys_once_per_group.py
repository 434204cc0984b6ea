"""near-duplicate band keys: one row per key and group, kept by the group's first comment that had it

Revision ID: f2b4d6e8a0c1
Revises: e8a1c3d5f7b9
Create Date: 2026-12-03 10:20:00

A copy joining a group now stores only the keys its group lacks
(``comments/similarity.py``); the rows copies stored before would make each
lookup read a whole wave. Downgrading keeps the rows as they are: lookups then
read one row per key and group, which the old code handles.
"""
from alembic import op


revision = 'f2b4d6e8a0c1'
down_revision = 'e8a1c3d5f7b9'
branch_labels = None
depends_on = None


def upgrade():
    op.execute("""
        DELETE FROM comment_bands WHERE EXISTS (
            SELECT 1 FROM comment_bands AS earlier
            JOIN comment_signatures AS earlier_signature ON earlier_signature.comment_id = earlier.comment_id
            JOIN comment_signatures AS own ON own.comment_id = comment_bands.comment_id
            WHERE earlier.key = comment_bands.key AND earlier.comment_id < comment_bands.comment_id
              AND earlier_signature.group_id = own.group_id
        )
    """)


def downgrade():
    pass
