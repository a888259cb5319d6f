"""PM view: alert evidence and notification state, one open alert per key, project alert settings

Revision ID: 0006_pm_view
Revises: 0003_alerts_actions
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0006_pm_view"
down_revision = "0003_alerts_actions"
branch_labels = None
depends_on = None

OPEN_ONLY = "status != 'resolved'"


def upgrade() -> None:
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.add_column(sa.Column("wave_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("webhook_notified_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(sa.Column("acknowledged_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("resolved_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_alert_wave_id", "wave", ["wave_id"], ["id"])
    # The database, not only the worker, guarantees one unresolved alert per rule and subject:
    # two workers evaluating the same project at once cannot both raise it.
    op.create_index(
        "uq_alert_unresolved_key",
        "alert",
        ["key"],
        unique=True,
        sqlite_where=sa.text(OPEN_ONLY),
        postgresql_where=sa.text(OPEN_ONLY),
    )
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "alert_webhook_url", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column("alerts_evaluated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.drop_column("alerts_evaluated_at")
        batch_op.drop_column("alert_webhook_url")
    op.drop_index("uq_alert_unresolved_key", table_name="alert")
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.drop_constraint("fk_alert_wave_id", type_="foreignkey")
        batch_op.drop_column("resolved_by_id")
        batch_op.drop_column("acknowledged_by_id")
        batch_op.drop_column("webhook_notified_at")
        batch_op.drop_column("wave_id")
