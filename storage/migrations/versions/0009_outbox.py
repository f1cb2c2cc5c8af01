"""outbox: the reminder table carries every fact-bearing message (priority, multi-part progress,
possible repeats, coalesced edits, on-sent hooks); documents' bytes in outbox_file

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("filename", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("mime_type", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.add_column(sa.Column("priority", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("coalesce_key", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("progress", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("sent_message_ids", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "possible_repeat", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch_op.add_column(
            sa.Column(
                "on_timeout",
                sqlmodel.sql.sqltypes.AutoString(length=16),
                nullable=False,
                server_default="uncertain",
            )
        )
        batch_op.add_column(sa.Column("max_attempts", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("on_sent", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_reminder_coalesce_key"), ["coalesce_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reminder_coalesce_key"))
        batch_op.drop_column("on_sent")
        batch_op.drop_column("max_attempts")
        batch_op.drop_column("on_timeout")
        batch_op.drop_column("possible_repeat")
        batch_op.drop_column("sent_message_ids")
        batch_op.drop_column("progress")
        batch_op.drop_column("coalesce_key")
        batch_op.drop_column("priority")
    op.drop_table("outbox_file")
