"""The caller's language in the call records (`call_records.language`: `nl`, `en`, `fy`;
records from before are Dutch), in the report index for the report per language.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# The report index as it is at this revision (a snapshot, as in 0007).
STAGE_COLUMNS = (
    "prompted", "spoke", "understood", "confirm_asked", "choice_asked", "province_asked",
    "postcode_asked", "confirmed", "corrected", "repeated", "keypad", "default_desk",
    "transferred", "answer_known", "answered",
)  # fmt: skip
BEFORE = (
    "day", "municipality", "area_code", "route", "rule", "final_rule", "phase",
    "hour_of_week", "pdd_bucket", *STAGE_COLUMNS,
)  # fmt: skip
REPORT_INDEX = (*BEFORE, "language")


def upgrade() -> None:
    op.drop_index("ix_calls_report", "call_records")
    with op.batch_alter_table("call_records") as batch:
        batch.add_column(sa.Column("language", sa.String(8), nullable=False, server_default="nl"))
    op.create_index("ix_calls_report", "call_records", list(REPORT_INDEX))


def downgrade() -> None:
    op.drop_index("ix_calls_report", "call_records")
    with op.batch_alter_table("call_records") as batch:
        batch.drop_column("language")
    op.create_index("ix_calls_report", "call_records", list(BEFORE))
