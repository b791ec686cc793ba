"""The default desk in the funnel: a `default_desk` column (nobody was chosen, the caller was
sent to the area's default destination), for the report of failed calls; the report index
rebuilt to cover it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# The funnel's stages and the report index as they are at this revision (a snapshot).
STAGE_COLUMNS = (
    "prompted", "spoke", "understood", "confirm_asked", "choice_asked", "confirmed",
    "corrected", "repeated", "keypad", "default_desk", "transferred", "answer_known", "answered",
)  # fmt: skip
REPORT_INDEX = (
    "day", "municipality", "area_code", "route", "rule", "final_rule", "phase",
    "hour_of_week", "pdd_bucket", *STAGE_COLUMNS,
)  # fmt: skip


def upgrade() -> None:
    op.drop_index("ix_calls_report", "call_records")
    with op.batch_alter_table("call_records") as batch:
        batch.add_column(
            sa.Column("default_desk", sa.Boolean, nullable=False, server_default=sa.false())
        )
    op.create_index("ix_calls_report", "call_records", list(REPORT_INDEX))


def downgrade() -> None:
    op.drop_index("ix_calls_report", "call_records")
    with op.batch_alter_table("call_records") as batch:
        batch.drop_column("default_desk")
    op.create_index(
        "ix_calls_report", "call_records", [c for c in REPORT_INDEX if c != "default_desk"]
    )
