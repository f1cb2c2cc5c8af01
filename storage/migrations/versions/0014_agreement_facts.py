"""agreement_fact: the agreement's lifecycle (extensions, end, notices, expulsions, new parties)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 15:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agreement_fact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partnership_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("party_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("decision_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["decision_id"], ["decision.id"]),
        sa.ForeignKeyConstraint(["partnership_id"], ["partnership.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("agreement_fact", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_agreement_fact_partnership_id"), ["partnership_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("agreement_fact", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agreement_fact_partnership_id"))
    op.drop_table("agreement_fact")
