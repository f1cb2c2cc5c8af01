"""immediate_justering: omedelbar justering of one paragraph during the meeting

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 16:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "immediate_justering",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.Column("content", sa.JSON(), nullable=True),
        sa.Column("content_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("locked_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["decision_id"], ["decision.id"]),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("decision_id"),
    )
    with op.batch_alter_table("immediate_justering", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_immediate_justering_meeting_id"), ["meeting_id"], unique=False
        )
    op.create_table(
        "immediate_approval",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("immediate_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("content_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["immediate_id"], ["immediate_justering.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("immediate_id", "person_id", "role"),
    )
    with op.batch_alter_table("immediate_approval", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_immediate_approval_immediate_id"), ["immediate_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("immediate_approval", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_immediate_approval_immediate_id"))
    op.drop_table("immediate_approval")
    with op.batch_alter_table("immediate_justering", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_immediate_justering_meeting_id"))
    op.drop_table("immediate_justering")
