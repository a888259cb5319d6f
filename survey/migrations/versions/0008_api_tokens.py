"""API token scopes; updated_at on synced resources; who added a stakeholder

Revision ID: 0008_api_tokens
Revises: 0001 (depends on 0003_alerts_actions)
"""

from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0008_api_tokens"
down_revision = "0001"
branch_labels = None
# follow_up_action is created on the alerts branch.
depends_on = "0003_alerts_actions"

# Tables whose rows the API lets integrations sync incrementally (?updated_since=).
SYNCED = ("project", "stakeholder", "relationship", "follow_up_action")


def upgrade() -> None:
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        # Tokens issued before scopes existed could already write: they keep doing so.
        batch_op.add_column(
            sa.Column(
                "scope",
                sqlmodel.sql.sqltypes.AutoString(length=10),
                nullable=False,
                server_default="write",
            )
        )
    with op.batch_alter_table("stakeholder", schema=None) as batch_op:
        batch_op.add_column(sa.Column("created_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_stakeholder_created_by_id", "user", ["created_by_id"], ["id"]
        )
    with op.batch_alter_table("relationship", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
    for table in SYNCED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
            )
    now = datetime.now(UTC)
    for table in SYNCED + ("relationship",):
        column = "created_at" if table == "relationship" else "updated_at"
        rows = sa.table(table, sa.column(column, sqlmodel.sql.sqltypes.UTCDateTime()))
        op.execute(rows.update().where(rows.c[column].is_(None)).values({column: now}))
    with op.batch_alter_table("relationship", schema=None) as batch_op:
        batch_op.alter_column(
            "created_at", existing_type=sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False
        )
    for table in SYNCED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                "updated_at", existing_type=sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False
            )
            batch_op.create_index(f"ix_{table}_updated_at", ["updated_at"], unique=False)


def downgrade() -> None:
    for table in SYNCED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f"ix_{table}_updated_at")
            batch_op.drop_column("updated_at")
    with op.batch_alter_table("relationship", schema=None) as batch_op:
        batch_op.drop_column("created_at")
    with op.batch_alter_table("stakeholder", schema=None) as batch_op:
        batch_op.drop_constraint("fk_stakeholder_created_by_id", type_="foreignkey")
        batch_op.drop_column("created_by_id")
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_column("scope")
