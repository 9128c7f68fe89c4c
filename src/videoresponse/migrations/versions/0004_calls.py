"""calls: events, rapid queue, guests

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "call_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("peer_id", sa.String(length=40), nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointment.id"],
            name=op.f("fk_call_event_appointment_id_appointment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_event")),
    )
    with op.batch_alter_table("call_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_call_event_appointment_id"), ["appointment_id"], unique=False
        )

    op.create_table(
        "rapid_call",
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("priority_band", sa.String(length=2), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("queued_by", sa.Integer(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("taken_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointment.id"],
            name=op.f("fk_rapid_call_appointment_id_appointment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["queued_by"], ["staff_user.id"], name=op.f("fk_rapid_call_queued_by_staff_user")
        ),
        sa.ForeignKeyConstraint(
            ["taken_by"], ["staff_user.id"], name=op.f("fk_rapid_call_taken_by_staff_user")
        ),
        sa.PrimaryKeyConstraint("appointment_id", name=op.f("pk_rapid_call")),
    )
    with op.batch_alter_table("rapid_call", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rapid_call_queued_at"), ["queued_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_rapid_call_taken_at"), ["taken_at"], unique=False)

    op.create_table(
        "call_guest",
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("invited_by", sa.Integer(), nullable=False),
        sa.Column("invited_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointment.id"],
            name=op.f("fk_call_guest_appointment_id_appointment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["invited_by"], ["staff_user.id"], name=op.f("fk_call_guest_invited_by_staff_user")
        ),
        sa.ForeignKeyConstraint(
            ["link_id"],
            ["join_link.id"],
            name=op.f("fk_call_guest_link_id_join_link"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("link_id", name=op.f("pk_call_guest")),
    )
    with op.batch_alter_table("call_guest", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_call_guest_appointment_id"), ["appointment_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("call_guest", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_guest_appointment_id"))

    op.drop_table("call_guest")
    with op.batch_alter_table("rapid_call", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rapid_call_taken_at"))
        batch_op.drop_index(batch_op.f("ix_rapid_call_queued_at"))

    op.drop_table("rapid_call")
    with op.batch_alter_table("call_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_event_appointment_id"))

    op.drop_table("call_event")
