"""applications.material_dispositions: what became of each material (attached / exempt / window)

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 10:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NOT NULL with a server default: rows received before this migration read as [] (the
    # kiosk did not say), on SQLite and PostgreSQL alike.
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('material_dispositions', sa.JSON(), nullable=False,
                                      server_default=sa.text("'[]'")))


def downgrade() -> None:
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_column('material_dispositions')
