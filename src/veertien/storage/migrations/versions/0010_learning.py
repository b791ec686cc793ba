"""Learning from calls (veertien.learning): the examples, the operator's reviews of learned
aliases, and every learned set that was in use.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "learning_examples",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at_s", sa.BigInteger, nullable=False),
        sa.Column("area_code", sa.String(5), nullable=False),
        sa.Column("form", sa.String(60), nullable=False),
        sa.Column("label", sa.String(16), nullable=False),
        sa.Column("chosen", sa.String(32), nullable=False),
        sa.Column("caller", sa.String(64)),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("learning_version", sa.String(16), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
    )
    op.create_index("ix_learning_form", "learning_examples", ["area_code", "form"])
    op.create_index("ix_learning_at", "learning_examples", ["at_s"])
    op.create_table(
        "learning_reviews",
        sa.Column("area_code", sa.String(5), primary_key=True),
        sa.Column("form", sa.String(60), primary_key=True),
        sa.Column("municipality", sa.String(32), primary_key=True),
        sa.Column("review", sa.String(16), nullable=False),
        sa.Column("by", sa.String(100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "learning_versions",
        sa.Column("version", sa.String(16), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("learning_versions")
    op.drop_table("learning_reviews")
    op.drop_index("ix_learning_at", "learning_examples")
    op.drop_index("ix_learning_form", "learning_examples")
    op.drop_table("learning_examples")
