"""deadline_met: deadlines recorded as met, one row per partnership and key

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 11:30:26.000045
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "deadline_met",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("met_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("met_by_user_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["partnership_id"], ["partnership.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("partnership_id", "key"),
    )
    with op.batch_alter_table("deadline_met", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deadline_met_partnership_id"), ["partnership_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("deadline_met", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deadline_met_partnership_id"))
    op.drop_table("deadline_met")
