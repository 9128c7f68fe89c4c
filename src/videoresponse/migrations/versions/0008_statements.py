"""statements

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

WRITTEN_ONCE = ("statement_version", "statement_signature", "sealed_statement")


def upgrade() -> None:
    op.create_table(
        "statement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("statement_of", sa.String(length=2000), nullable=False),
        sa.Column("under_18", sa.Boolean(), nullable=False),
        sa.Column("age", sa.SmallInteger(), nullable=True),
        sa.Column("occupation", sa.String(length=2000), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("pages", sa.SmallInteger(), nullable=False),
        sa.Column("contact_details", sa.Text(), nullable=False),
        sa.Column("dates_to_avoid", sa.Text(), nullable=False),
        sa.Column("needs_and_special_measures", sa.Text(), nullable=False),
        sa.Column("medical_records_consent", sa.String(length=3), nullable=False),
        sa.Column("vps_offered", sa.Boolean(), nullable=False),
        sa.Column("vps_made", sa.Boolean(), nullable=False),
        sa.Column("witness_cannot_read", sa.Boolean(), nullable=False),
        sa.Column("taken_by", sa.Integer(), nullable=False),
        sa.Column("taken_at_place", sa.String(length=200), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("saved_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointment.id"],
            name=op.f("fk_statement_appointment_id_appointment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
            name=op.f("fk_statement_incident_id_incident"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["taken_by"], ["staff_user.id"], name=op.f("fk_statement_taken_by_staff_user")
        ),
        sa.ForeignKeyConstraint(
            ["saved_by"], ["staff_user.id"], name=op.f("fk_statement_saved_by_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statement")),
        sa.UniqueConstraint("appointment_id", name=op.f("uq_statement_appointment_id")),
    )
    with op.batch_alter_table("statement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_statement_incident_id"), ["incident_id"], unique=False)

    op.create_table(
        "statement_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("restricted", sa.Text(), nullable=False),
        sa.Column("witness_cannot_read", sa.Boolean(), nullable=False),
        sa.Column("made_by", sa.Integer(), nullable=False),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["statement.id"],
            name=op.f("fk_statement_version_statement_id_statement"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["made_by"], ["staff_user.id"], name=op.f("fk_statement_version_made_by_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statement_version")),
        sa.UniqueConstraint(
            "statement_id", "number", name=op.f("uq_statement_version_statement_id")
        ),
    )
    with op.batch_alter_table("statement_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_statement_version_statement_id"), ["statement_id"], unique=False
        )

    op.create_table(
        "statement_signature",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("officer_number", sa.String(length=60), nullable=False),
        sa.Column("image_png", sa.LargeBinary(), nullable=True),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version_sha256", sa.String(length=64), nullable=False),
        sa.Column("binding_sha256", sa.String(length=64), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["statement_version.id"],
            name=op.f("fk_statement_signature_version_id_statement_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statement_signature")),
        sa.UniqueConstraint("version_id", "kind", name=op.f("uq_statement_signature_version_id")),
    )
    with op.batch_alter_table("statement_signature", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_statement_signature_version_id"), ["version_id"], unique=False
        )

    op.create_table(
        "sealed_statement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("development_seal", sa.Boolean(), nullable=False),
        sa.Column("sealed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["statement_version.id"],
            name=op.f("fk_sealed_statement_version_id_statement_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sealed_statement")),
        sa.UniqueConstraint("version_id", name=op.f("uq_sealed_statement_version_id")),
    )

    with op.batch_alter_table("safe_contact", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("may_download_copy", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    _refuse_updates()


def _refuse_updates() -> None:
    """Nothing signed is ever changed: versions, signatures and sealed PDFs refuse UPDATE.
    DELETE stays, for the incident's cascade when retention erases a case."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION statement_refuse_update() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '% is written once: UPDATE refused', TG_TABLE_NAME;
            END;
            $$ LANGUAGE plpgsql
            """
        )
        for table in WRITTEN_ONCE:
            op.execute(
                f"CREATE TRIGGER {table}_written_once BEFORE UPDATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION statement_refuse_update()"
            )
    else:
        for table in WRITTEN_ONCE:
            op.execute(
                f"CREATE TRIGGER {table}_written_once BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is written once'); END"
            )


def downgrade() -> None:
    for table in WRITTEN_ONCE:
        op.execute(
            f"DROP TRIGGER IF EXISTS {table}_written_once"
            + (f" ON {table}" if op.get_bind().dialect.name == "postgresql" else "")
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS statement_refuse_update()")
    with op.batch_alter_table("safe_contact", schema=None) as batch_op:
        batch_op.drop_column("may_download_copy")
    op.drop_table("sealed_statement")
    with op.batch_alter_table("statement_signature", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_statement_signature_version_id"))
    op.drop_table("statement_signature")
    with op.batch_alter_table("statement_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_statement_version_statement_id"))
    op.drop_table("statement_version")
    with op.batch_alter_table("statement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_statement_incident_id"))
    op.drop_table("statement")
