"""Notifier health: the notifier_state table (a failing episode, shared by every process) and
the notifier an event is about (notifier.failing / notifier.recovered).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 13:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notifier_state",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("failing_since", sa.DateTime(), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("hold_until", sa.DateTime(), nullable=True),
        sa.Column("notified", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.PrimaryKeyConstraint("name"),
    )
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("notifier", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("notifier_type", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_column("notifier_type")
        batch_op.drop_column("notifier")
    op.drop_table("notifier_state")
