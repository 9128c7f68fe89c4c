"""Risk assessments: DASH answers, level, MARAC referral and outcome.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "risk_assessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("checklist_id", sa.String(length=40), nullable=False),
        sa.Column("checklist_version", sa.String(length=40), nullable=False),
        sa.Column("checklist_sha256", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("safe_to_talk", sa.Boolean(), nullable=True),
        sa.Column("safety_answers", sa.JSON(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("judgement_level", sa.String(length=10), nullable=True),
        sa.Column("judgement_reason", sa.Text(), nullable=False),
        sa.Column("yes_count", sa.SmallInteger(), nullable=True),
        sa.Column("scored_level", sa.String(length=10), nullable=True),
        sa.Column("level", sa.String(length=10), nullable=True),
        sa.Column("marac_reasons", sa.JSON(), nullable=False),
        sa.Column("incidents_in_window", sa.SmallInteger(), nullable=True),
        sa.Column("marac_referral_made", sa.Boolean(), nullable=True),
        sa.Column("marac_reason", sa.Text(), nullable=False),
        sa.Column("safeguarding_actions", sa.Text(), nullable=False),
        sa.Column("started_by", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome_by", sa.Integer(), nullable=True),
        sa.Column("outcome_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointment.id"],
            name=op.f("fk_risk_assessment_appointment_id_appointment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
            name=op.f("fk_risk_assessment_incident_id_incident"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_risk_assessment_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["started_by"], ["staff_user.id"], name=op.f("fk_risk_assessment_started_by_staff_user")
        ),
        sa.ForeignKeyConstraint(
            ["outcome_by"], ["staff_user.id"], name=op.f("fk_risk_assessment_outcome_by_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_assessment")),
    )
    with op.batch_alter_table("risk_assessment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_risk_assessment_appointment_id"), ["appointment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_risk_assessment_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_risk_assessment_outcome_at"), ["outcome_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("risk_assessment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risk_assessment_outcome_at"))
        batch_op.drop_index(batch_op.f("ix_risk_assessment_person_id"))
        batch_op.drop_index(batch_op.f("ix_risk_assessment_appointment_id"))
    op.drop_table("risk_assessment")
