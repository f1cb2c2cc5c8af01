"""attachment bytes: a document attached to an agenda item keeps its bytes (fetched with
getFile after it was attached) for the export

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 15:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stored_file_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_attachment_stored_file_id_outbox_file", "outbox_file", ["stored_file_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.drop_constraint("fk_attachment_stored_file_id_outbox_file", type_="foreignkey")
        batch_op.drop_column("stored_file_id")
