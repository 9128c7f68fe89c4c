"""texts, join links, caller sessions

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "join_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=True),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("check_code_hash", sa.String(length=64), nullable=True),
        sa.Column("failed_checks", sa.Integer(), nullable=False),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointment.id"],
            name=op.f("fk_join_link_appointment_id_appointment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_join_link_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_join_link")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_join_link_token_hash")),
    )
    with op.batch_alter_table("join_link", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_join_link_appointment_id"), ["appointment_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_join_link_person_id"), ["person_id"], unique=False)

    op.create_table(
        "caller_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["link_id"],
            ["join_link.id"],
            name=op.f("fk_caller_session_link_id_join_link"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_caller_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_caller_session_token_hash")),
    )
    with op.batch_alter_table("caller_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_caller_session_link_id"), ["link_id"], unique=False)

    op.create_table(
        "text_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=40), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=True),
        sa.Column("link_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("custom_text", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("provider_id", sa.String(length=80), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("followed_up_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("followed_up_by", sa.String(length=120), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointment.id"],
            name=op.f("fk_text_message_appointment_id_appointment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["link_id"], ["join_link.id"], name=op.f("fk_text_message_link_id_join_link")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_text_message_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_text_message")),
        sa.UniqueConstraint("reference", name=op.f("uq_text_message_reference")),
    )
    with op.batch_alter_table("text_message", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_text_message_appointment_id"), ["appointment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_text_message_not_before"), ["not_before"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_text_message_person_id"), ["person_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_text_message_provider_id"), ["provider_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_text_message_status"), ["status"], unique=False)

    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.alter_column("created_by", existing_type=sa.INTEGER(), nullable=True)

    with op.batch_alter_table("safe_contact", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("wants_reminders", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column(
                "may_add_to_calendar", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("safe_contact", schema=None) as batch_op:
        batch_op.drop_column("may_add_to_calendar")
        batch_op.drop_column("wants_reminders")

    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.alter_column("created_by", existing_type=sa.INTEGER(), nullable=False)

    with op.batch_alter_table("text_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_text_message_status"))
        batch_op.drop_index(batch_op.f("ix_text_message_provider_id"))
        batch_op.drop_index(batch_op.f("ix_text_message_person_id"))
        batch_op.drop_index(batch_op.f("ix_text_message_not_before"))
        batch_op.drop_index(batch_op.f("ix_text_message_appointment_id"))

    op.drop_table("text_message")
    with op.batch_alter_table("caller_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_caller_session_link_id"))

    op.drop_table("caller_session")
    with op.batch_alter_table("join_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_join_link_person_id"))
        batch_op.drop_index(batch_op.f("ix_join_link_appointment_id"))

    op.drop_table("join_link")
