"""triage, rota and booking

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "absence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["officer_id"],
            ["staff_user.id"],
            name=op.f("fk_absence_officer_id_staff_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_absence")),
    )
    with op.batch_alter_table("absence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_absence_officer_id"), ["officer_id"], unique=False)

    op.create_table(
        "idempotency_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_user.id"],
            name=op.f("fk_idempotency_key_staff_id_staff_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_key")),
        sa.UniqueConstraint("staff_id", "key", name=op.f("uq_idempotency_key_staff_id")),
    )
    op.create_table(
        "incident",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("urn", sa.String(length=40), nullable=False),
        sa.Column("incident_type", sa.String(length=40), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("called_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("grade", sa.SmallInteger(), nullable=False),
        sa.Column("grade_reason", sa.Text(), nullable=False),
        sa.Column("priority_band", sa.String(length=2), nullable=False),
        sa.Column("priority_band_reason", sa.Text(), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("suitable_for_video", sa.Boolean(), nullable=False),
        sa.Column("suitability_flags", sa.JSON(), nullable=False),
        sa.Column("suitability_reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["staff_user.id"], name=op.f("fk_incident_created_by_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident")),
        sa.UniqueConstraint("urn", name=op.f("uq_incident_urn")),
    )
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incident_deadline"), ["deadline"], unique=False)

    op.create_table(
        "pattern_day",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column("starts", sa.Time(), nullable=False),
        sa.Column("ends", sa.Time(), nullable=False),
        sa.ForeignKeyConstraint(
            ["officer_id"],
            ["staff_user.id"],
            name=op.f("fk_pattern_day_officer_id_staff_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pattern_day")),
        sa.UniqueConstraint("officer_id", "weekday", name=op.f("uq_pattern_day_officer_id")),
    )
    op.create_table(
        "shift",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["officer_id"],
            ["staff_user.id"],
            name=op.f("fk_shift_officer_id_staff_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shift")),
    )
    with op.batch_alter_table("shift", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shift_officer_id"), ["officer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_shift_starts_at"), ["starts_at"], unique=False)

    op.create_table(
        "person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("mobile", sa.String(length=20), nullable=True),
        sa.Column("language", sa.String(length=60), nullable=False),
        sa.Column("interpreter_needed", sa.Boolean(), nullable=False),
        sa.Column("accessibility_needs", sa.Text(), nullable=False),
        sa.Column("preferred_officer_gender", sa.String(length=10), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
            name=op.f("fk_person_incident_id_incident"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person")),
    )
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_incident_id"), ["incident_id"], unique=False)

    op.create_table(
        "thrive_score",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("dimension", sa.String(length=20), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
            name=op.f("fk_thrive_score_incident_id_incident"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_thrive_score")),
        sa.UniqueConstraint("incident_id", "dimension", name=op.f("uq_thrive_score_incident_id")),
    )
    op.create_table(
        "appointment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=True),
        sa.Column("route", sa.String(length=20), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reserved_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("officer_reason", sa.Text(), nullable=False),
        sa.Column("late_reason", sa.Text(), nullable=False),
        sa.Column("follow_up_of", sa.Integer(), nullable=True),
        sa.Column("needs_rebooking", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["staff_user.id"], name=op.f("fk_appointment_created_by_staff_user")
        ),
        sa.ForeignKeyConstraint(
            ["follow_up_of"],
            ["appointment.id"],
            name=op.f("fk_appointment_follow_up_of_appointment"),
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
            name=op.f("fk_appointment_incident_id_incident"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["staff_user.id"], name=op.f("fk_appointment_officer_id_staff_user")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_appointment_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointment")),
    )
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_appointment_incident_id"), ["incident_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_appointment_officer_id"), ["officer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_appointment_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_appointment_starts_at"), ["starts_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_appointment_status"), ["status"], unique=False)

    op.create_table(
        "in_person_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("route", sa.String(length=20), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["closed_by"], ["staff_user.id"], name=op.f("fk_in_person_request_closed_by_staff_user")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
            name=op.f("fk_in_person_request_incident_id_incident"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_in_person_request_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_in_person_request")),
    )
    with op.batch_alter_table("in_person_request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_in_person_request_due_at"), ["due_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_in_person_request_incident_id"), ["incident_id"], unique=False
        )

    op.create_table(
        "route_offer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("offered", sa.JSON(), nullable=False),
        sa.Column("chosen", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("offered_by", sa.Integer(), nullable=False),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
            name=op.f("fk_route_offer_incident_id_incident"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["offered_by"], ["staff_user.id"], name=op.f("fk_route_offer_offered_by_staff_user")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_route_offer_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_route_offer")),
    )
    with op.batch_alter_table("route_offer", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_route_offer_incident_id"), ["incident_id"], unique=False
        )

    op.create_table(
        "safe_contact",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("may_text", sa.Boolean(), nullable=False),
        sa.Column("may_call", sa.Boolean(), nullable=False),
        sa.Column("may_leave_voicemail", sa.Boolean(), nullable=False),
        sa.Column("may_mention_police", sa.Boolean(), nullable=False),
        sa.Column("safe_number", sa.String(length=20), nullable=True),
        sa.Column("code_word", sa.String(length=40), nullable=True),
        sa.Column("words_never_to_use", sa.JSON(), nullable=False),
        sa.Column("timezone", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_safe_contact_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_safe_contact")),
    )
    op.create_table(
        "appointment_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(length=120), nullable=False),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointment.id"],
            name=op.f("fk_appointment_event_appointment_id_appointment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointment_event")),
    )
    with op.batch_alter_table("appointment_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_appointment_event_appointment_id"), ["appointment_id"], unique=False
        )

    op.create_table(
        "safe_window",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column("starts", sa.Time(), nullable=False),
        sa.Column("ends", sa.Time(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["safe_contact.person_id"],
            name=op.f("fk_safe_window_person_id_safe_contact"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safe_window")),
    )
    with op.batch_alter_table("safe_window", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_safe_window_person_id"), ["person_id"], unique=False)
    _no_double_booking()


ACTIVE = "('booked', 'rescheduled', 'waiting', 'in_call')"


def _no_double_booking() -> None:
    """The database, not hope, keeps an officer or a person from two appointments at once.

    On SQLite the booking service re-checks inside a serialised (IMMEDIATE) transaction.
    """
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.execute(
        "ALTER TABLE appointment ADD CONSTRAINT appointment_officer_no_overlap EXCLUDE USING gist "
        "(officer_id WITH =, tstzrange(starts_at, reserved_until, '[)') WITH &&) "
        f"WHERE (status IN {ACTIVE} AND officer_id IS NOT NULL)"
    )
    op.execute(
        "ALTER TABLE appointment ADD CONSTRAINT appointment_person_no_overlap EXCLUDE USING gist "
        "(person_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) "
        f"WHERE (status IN {ACTIVE})"
    )


def downgrade() -> None:
    with op.batch_alter_table("safe_window", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_safe_window_person_id"))

    op.drop_table("safe_window")
    with op.batch_alter_table("appointment_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appointment_event_appointment_id"))

    op.drop_table("appointment_event")
    op.drop_table("safe_contact")
    with op.batch_alter_table("route_offer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_route_offer_incident_id"))

    op.drop_table("route_offer")
    with op.batch_alter_table("in_person_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_in_person_request_incident_id"))
        batch_op.drop_index(batch_op.f("ix_in_person_request_due_at"))

    op.drop_table("in_person_request")
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appointment_status"))
        batch_op.drop_index(batch_op.f("ix_appointment_starts_at"))
        batch_op.drop_index(batch_op.f("ix_appointment_person_id"))
        batch_op.drop_index(batch_op.f("ix_appointment_officer_id"))
        batch_op.drop_index(batch_op.f("ix_appointment_incident_id"))

    op.drop_table("appointment")
    op.drop_table("thrive_score")
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_incident_id"))

    op.drop_table("person")
    with op.batch_alter_table("shift", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shift_starts_at"))
        batch_op.drop_index(batch_op.f("ix_shift_officer_id"))

    op.drop_table("shift")
    op.drop_table("pattern_day")
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_deadline"))

    op.drop_table("incident")
    op.drop_table("idempotency_key")
    with op.batch_alter_table("absence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_absence_officer_id"))

    op.drop_table("absence")
