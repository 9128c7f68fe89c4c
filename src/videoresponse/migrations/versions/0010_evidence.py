"""evidence: items and their continuity records

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28
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
        "evidence_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("upload_id", sa.String(length=64), nullable=True),
        sa.Column("storage_key", sa.String(length=80), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=120), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("derivative_of", sa.Integer(), nullable=True),
        sa.Column("label", sa.String(length=120), nullable=False),
        sa.Column("original_name", sa.String(length=255), nullable=False),
        sa.Column("declared_type", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("media_type", sa.String(length=120), nullable=False),
        sa.Column("extension", sa.String(length=20), nullable=False),
        sa.Column("length", sa.BigInteger(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("client_sha256", sa.String(length=64), nullable=False),
        sa.Column("hash_match", sa.Boolean(), nullable=True),
        sa.Column("scan_state", sa.String(length=20), nullable=False),
        sa.Column("scan_signature", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("refusal", sa.Text(), nullable=False),
        sa.Column("decision_reason", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointment.id"],
            name=op.f("fk_evidence_item_appointment_id_appointment"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["staff_user.id"], name=op.f("fk_evidence_item_decided_by_staff_user")
        ),
        sa.ForeignKeyConstraint(
            ["derivative_of"],
            ["evidence_item.id"],
            name=op.f("fk_evidence_item_derivative_of_evidence_item"),
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
            name=op.f("fk_evidence_item_incident_id_incident"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff_user.id"], name=op.f("fk_evidence_item_staff_id_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_item")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_evidence_item_storage_key")),
        sa.UniqueConstraint("upload_id", name=op.f("uq_evidence_item_upload_id")),
    )
    with op.batch_alter_table("evidence_item", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_evidence_item_appointment_id"), ["appointment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_evidence_item_derivative_of"), ["derivative_of"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_evidence_item_incident_id"), ["incident_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_evidence_item_state"), ["state"], unique=False)

    op.create_table(
        "evidence_continuity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=30), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("why", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["evidence_item.id"],
            name=op.f("fk_evidence_continuity_item_id_evidence_item"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_continuity")),
        sa.UniqueConstraint("item_id", "seq", name=op.f("uq_evidence_continuity_item_id")),
    )
    _make_continuity_append_only()


def _make_continuity_append_only() -> None:
    """ACPO principle 3: the record of what happened to an item is only ever added to."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION evidence_continuity_refuse_change() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'evidence_continuity is append-only: % refused', TG_OP;
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER evidence_continuity_append_only BEFORE UPDATE OR DELETE OR TRUNCATE "
            "ON evidence_continuity FOR EACH STATEMENT "
            "EXECUTE FUNCTION evidence_continuity_refuse_change()"
        )
    else:
        for operation in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER evidence_continuity_no_{operation.lower()} BEFORE {operation} "
                "ON evidence_continuity BEGIN "
                "SELECT RAISE(ABORT, 'evidence_continuity is append-only'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS evidence_continuity_append_only ON evidence_continuity")
        op.execute("DROP FUNCTION IF EXISTS evidence_continuity_refuse_change()")
    op.drop_table("evidence_continuity")
    with op.batch_alter_table("evidence_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidence_item_state"))
        batch_op.drop_index(batch_op.f("ix_evidence_item_incident_id"))
        batch_op.drop_index(batch_op.f("ix_evidence_item_derivative_of"))
        batch_op.drop_index(batch_op.f("ix_evidence_item_appointment_id"))
    op.drop_table("evidence_item")
