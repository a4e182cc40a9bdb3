"""Followed article pages: page fields on item_version, and the page table.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("item_version", schema=None) as batch_op:
        batch_op.add_column(sa.Column("page_title", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("page_text", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("page_published", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("page_modified", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("page_fingerprint", sa.String(length=80), nullable=True))

    op.create_table(
        "page",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("body_hash", sa.String(length=64), nullable=True),
        sa.Column("last_unconditional_at", sa.DateTime(), nullable=True),
        sa.Column("next_check_at", sa.DateTime(), nullable=True),
        sa.Column("follow_until", sa.DateTime(), nullable=False),
        sa.Column("lease_owner", sa.String(length=200), nullable=True),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
        sa.Column("last_checked_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("item_id"),
    )
    with op.batch_alter_table("page", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_page_next_check_at"), ["next_check_at"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("page", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_page_next_check_at"))
    op.drop_table("page")
    with op.batch_alter_table("item_version", schema=None) as batch_op:
        batch_op.drop_column("page_fingerprint")
        batch_op.drop_column("page_modified")
        batch_op.drop_column("page_published")
        batch_op.drop_column("page_text")
        batch_op.drop_column("page_title")
