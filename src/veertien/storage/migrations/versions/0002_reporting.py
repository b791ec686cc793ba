"""Reporting: call-record columns the reports group and count by, rotating salts for callers'
numbers, and the numbers already stored replaced by hashes nobody can link.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import json
import secrets

import sqlalchemy as sa
from alembic import op

from veertien.records.columns import derived
from veertien.records.hashing import hash_number

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# The funnel's stages and the report index as they were at this revision (a migration is a
# snapshot: later stages get a migration of their own).
STAGE_COLUMNS = (
    "prompted", "spoke", "understood", "confirm_asked", "confirmed", "corrected", "repeated",
    "keypad", "transferred", "answer_known", "answered",
)  # fmt: skip
REPORT_INDEX = (
    "day", "municipality", "area_code", "route", "rule", "final_rule", "phase",
    "hour_of_week", "pdd_bucket", *STAGE_COLUMNS,
)  # fmt: skip
_FILLED = {"rule", "final_rule", "area_code", "handover", "day", "hour_of_week", "pdd_us",
           "pdd_bucket", *STAGE_COLUMNS}  # fmt: skip


def upgrade() -> None:
    with op.batch_alter_table("call_records") as batch:
        for name, kind in (
            ("rule", sa.String(32)),
            ("final_rule", sa.String(32)),
            ("area_code", sa.String(5)),
            ("handover", sa.String(8)),
            ("day", sa.String(10)),
            ("hour_of_week", sa.SmallInteger),
            ("pdd_us", sa.Float),
            ("pdd_bucket", sa.Integer),
        ):
            batch.add_column(sa.Column(name, kind))
        for name in STAGE_COLUMNS:
            batch.add_column(sa.Column(name, sa.Boolean, nullable=False, server_default=sa.false()))
    op.create_index("ix_calls_report", "call_records", list(REPORT_INDEX))
    op.create_table(
        "caller_salts",
        sa.Column("period", sa.Integer, primary_key=True),
        sa.Column("salt", sa.String(64), nullable=False),
    )
    _backfill()


def _backfill() -> None:
    """Fill the new columns of records written before them, and hash their callers with a salt
    that is thrown away at once."""
    salt = secrets.token_bytes(32)
    conn = op.get_bind()
    table = sa.table("call_records", sa.column("id"), sa.column("body"))
    rows = conn.execute(sa.select(table.c.id, table.c.body)).all()
    for row_id, body in rows:
        record = json.loads(body)
        record["caller"] = hash_number(salt, record.get("caller"))
        values = {k: v for k, v in derived(record).items() if k in _FILLED}
        values["caller"] = record["caller"]
        values["body"] = json.dumps(record, ensure_ascii=False)
        columns = ", ".join(f"{k} = :{k}" for k in values)
        conn.execute(sa.text(f"UPDATE call_records SET {columns} WHERE id = :id"),
                     {**values, "id": row_id})  # fmt: skip


def downgrade() -> None:
    op.drop_table("caller_salts")
    op.drop_index("ix_calls_report", "call_records")
    with op.batch_alter_table("call_records") as batch:
        for name in ("rule", "final_rule", "area_code", "handover", "day", "hour_of_week",
                     "pdd_us", "pdd_bucket", *STAGE_COLUMNS):  # fmt: skip
            batch.drop_column(name)
