"""formal names: the name and title a person gives with /namn, for the minutes and kallelser

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("formal_name", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("formal_title", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_column("formal_title")
        batch_op.drop_column("formal_name")
