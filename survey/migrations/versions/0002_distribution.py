"""pulse distribution: wave attribution and reminders, invitation deferral, mail deliveries,
suppressed addresses

Revision ID: 0002_distribution
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = "0002_distribution"
down_revision = "0001"
branch_labels = None
depends_on = None

ATTRIBUTION = sa.Enum("attributed", "confidential", name="attribution")
DELIVERY_STATUS = sa.Enum(
    "pending", "sending", "sent", "bounced", "failed", "cancelled", name="deliverystatus"
)


def upgrade() -> None:
    # add_column does not create PostgreSQL enum types by itself.
    ATTRIBUTION.create(op.get_bind(), checkfirst=True)
    with op.batch_alter_table("wave", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("attribution", ATTRIBUTION, nullable=False, server_default="attributed")
        )
        batch_op.add_column(
            sa.Column(
                "reminder_days",
                sqlmodel.sql.sqltypes.AutoString(length=40),
                nullable=False,
                server_default="3,6",
            )
        )
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("send_after", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("skip_reason", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True)
        )

    op.create_table(
        "mail_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("status", DELIVERY_STATUS, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("claimed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("sent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["invitation_id"], ["invitation.id"]),
        sa.ForeignKeyConstraint(["wave_id"], ["wave.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("invitation_id", "kind"),
    )
    with op.batch_alter_table("mail_delivery", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mail_delivery_invitation_id"), ["invitation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_mail_delivery_wave_id"), ["wave_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_mail_delivery_status"), ["status"], unique=False)

    op.create_table(
        "mail_suppression",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("stakeholder_id", sa.Integer(), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["stakeholder_id"], ["stakeholder.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("mail_suppression", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mail_suppression_email"), ["email"], unique=True)
        batch_op.create_index(
            batch_op.f("ix_mail_suppression_stakeholder_id"), ["stakeholder_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("mail_suppression")
    op.drop_table("mail_delivery")
    DELIVERY_STATUS.drop(op.get_bind(), checkfirst=True)
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_column("skip_reason")
        batch_op.drop_column("send_after")
    with op.batch_alter_table("wave", schema=None) as batch_op:
        batch_op.drop_column("reminder_days")
        batch_op.drop_column("attribution")
    ATTRIBUTION.drop(op.get_bind(), checkfirst=True)
