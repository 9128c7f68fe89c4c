"""No-show outcomes: what the officer found when a caller did not join.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 19:38:29.164793
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "no_show_outcome",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("called", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("by", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointment.id"],
            name=op.f("fk_no_show_outcome_appointment_id_appointment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["by"], ["staff_user.id"], name=op.f("fk_no_show_outcome_by_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_no_show_outcome")),
        sa.UniqueConstraint("appointment_id", name=op.f("uq_no_show_outcome_appointment_id")),
    )


def downgrade() -> None:
    op.drop_table("no_show_outcome")
