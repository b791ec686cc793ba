"""More than one node on one database: the nodes and their heartbeats (`nodes`: role, addresses,
drain), the dialogues running inside a node (`open_dialogues`: turned into call records that say
the node stopped, when it starts again), the node that wrote a call record (`call_records.node`),
and what every portal process must share (`portal_secrets`: the session-cookie key;
`login_failures`: the login limiter).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "nodes",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("sip", sa.String(128)),
        sa.Column("http", sa.String(128)),
        sa.Column("boot", sa.String(32), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("draining", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("dialogues", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_table(
        "open_dialogues",
        sa.Column("call_id", sa.String(255), primary_key=True),
        sa.Column("node", sa.String(64), primary_key=True),
        sa.Column("body", sa.Text, nullable=False),
    )
    op.create_table(
        "portal_secrets",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("value", sa.String(128), nullable=False),
    )
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("at", sa.Float, nullable=False),
        sa.Index("ix_login_failures_key", "key", "at"),
    )
    with op.batch_alter_table("call_records") as batch:
        batch.add_column(sa.Column("node", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("call_records") as batch:
        batch.drop_column("node")
    for table in ("login_failures", "portal_secrets", "open_dialogues", "nodes"):
        op.drop_table(table)
