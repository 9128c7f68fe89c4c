"""Victims' Code tasks, update frequencies, case closure; callers' feedback

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_closure",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("crime_recorded", sa.Boolean(), nullable=False),
        sa.Column("crime_reference", sa.String(length=40), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["closed_by"], ["staff_user.id"], name=op.f("fk_case_closure_closed_by_staff_user")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
            name=op.f("fk_case_closure_incident_id_incident"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("incident_id", name=op.f("pk_case_closure")),
    )
    with op.batch_alter_table("case_closure", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_closure_closed_at"), ["closed_at"], unique=False)

    op.create_table(
        "victim_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_by", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=30), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["done_by"], ["staff_user.id"], name=op.f("fk_victim_task_done_by_staff_user")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
            name=op.f("fk_victim_task_incident_id_incident"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_victim_task_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_victim_task")),
        sa.UniqueConstraint("person_id", "kind", "sequence", name=op.f("uq_victim_task_person_id")),
    )
    with op.batch_alter_table("victim_task", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_victim_task_done_at"), ["done_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_victim_task_due_on"), ["due_on"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_victim_task_incident_id"), ["incident_id"], unique=False
        )

    op.create_table(
        "victim_update_frequency",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("every_working_days", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_victim_update_frequency_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"],
            ["staff_user.id"],
            name=op.f("fk_victim_update_frequency_recorded_by_staff_user"),
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_victim_update_frequency")),
    )
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=True),
        sa.Column("rating", sa.SmallInteger(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointment.id"],
            name=op.f("fk_feedback_appointment_id_appointment"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
        sa.UniqueConstraint("appointment_id", name=op.f("uq_feedback_appointment_id")),
    )
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feedback_at"), ["at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_at"))

    op.drop_table("feedback")
    op.drop_table("victim_update_frequency")
    with op.batch_alter_table("victim_task", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_victim_task_incident_id"))
        batch_op.drop_index(batch_op.f("ix_victim_task_due_on"))
        batch_op.drop_index(batch_op.f("ix_victim_task_done_at"))

    op.drop_table("victim_task")
    with op.batch_alter_table("case_closure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_closure_closed_at"))

    op.drop_table("case_closure")
