"""The national number's questions in the funnel: `province_asked` ("In welke provincie?") and
`postcode_asked`; the report index rebuilt to cover them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# The funnel's stages and the report index as they are at this revision (a snapshot).
ADDED = ("province_asked", "postcode_asked")
STAGE_COLUMNS = (
    "prompted", "spoke", "understood", "confirm_asked", "choice_asked", *ADDED, "confirmed",
    "corrected", "repeated", "keypad", "default_desk", "transferred", "answer_known", "answered",
)  # fmt: skip
REPORT_INDEX = (
    "day", "municipality", "area_code", "route", "rule", "final_rule", "phase",
    "hour_of_week", "pdd_bucket", *STAGE_COLUMNS,
)  # fmt: skip


def upgrade() -> None:
    op.drop_index("ix_calls_report", "call_records")
    with op.batch_alter_table("call_records") as batch:
        for name in ADDED:
            batch.add_column(sa.Column(name, sa.Boolean, nullable=False, server_default=sa.false()))
    op.create_index("ix_calls_report", "call_records", list(REPORT_INDEX))


def downgrade() -> None:
    op.drop_index("ix_calls_report", "call_records")
    with op.batch_alter_table("call_records") as batch:
        for name in ADDED:
            batch.drop_column(name)
    op.create_index("ix_calls_report", "call_records", [c for c in REPORT_INDEX if c not in ADDED])
