"""staff rank and number for sealed statements; corrections the witness asked for

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: an officer without one is asked for it once, at their first countersignature.
    with op.batch_alter_table("staff_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rank_and_number", sa.String(length=40), nullable=True))

    op.create_table(
        "statement_correction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("from_role", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("received_by", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["statement.id"],
            name=op.f("fk_statement_correction_statement_id_statement"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["received_by"],
            ["staff_user.id"],
            name=op.f("fk_statement_correction_received_by_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["done_by"], ["staff_user.id"], name=op.f("fk_statement_correction_done_by_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statement_correction")),
        sa.UniqueConstraint(
            "statement_id", "digest", name=op.f("uq_statement_correction_statement_id")
        ),
    )
    with op.batch_alter_table("statement_correction", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_statement_correction_statement_id"), ["statement_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("statement_correction", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_statement_correction_statement_id"))
    op.drop_table("statement_correction")
    with op.batch_alter_table("staff_user", schema=None) as batch_op:
        batch_op.drop_column("rank_and_number")
