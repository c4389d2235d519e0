"""users.must_change_password; audit_log.subject / subject_hash (reads of a person's data)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 18:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing accounts keep working as they are (false); new ones and resets set it.
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    # Older audit rows read as "no subject".
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject', sa.String(length=64), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('subject_hash', sa.String(length=64), nullable=False, server_default=''))
        batch_op.create_index(batch_op.f('ix_audit_log_subject_hash'), ['subject_hash'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_subject_hash'))
        batch_op.drop_column('subject_hash')
        batch_op.drop_column('subject')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('must_change_password')
