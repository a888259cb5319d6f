"""digest_log.claimed_at and two report states: an admin sends an interrupted digest again
("resend") or gives up on it ("dismissed")

Revision ID: 0014_digest_interrupted
Revises: 0007_plans_reviews
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0014_digest_interrupted"
down_revision = "0007_plans_reviews"
branch_labels = None
depends_on = None

NEW_STATES = ("resend", "dismissed")


def upgrade() -> None:
    with op.batch_alter_table("digest_log") as batch:
        batch.add_column(
            sa.Column("claimed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
    # SQLite stores the status as plain text; PostgreSQL has a native enum to extend.
    if op.get_bind().dialect.name == "postgresql":
        # Older servers refuse ADD VALUE inside a transaction.
        with op.get_context().autocommit_block():
            for state in NEW_STATES:
                op.execute(f"ALTER TYPE reportstatus ADD VALUE IF NOT EXISTS '{state}'")


def downgrade() -> None:
    # PostgreSQL cannot drop enum values; rows in the new states become "failed", which is
    # what they were to the older code: not sent, and never sent again.
    op.execute(
        sa.text("UPDATE digest_log SET status = 'failed' WHERE status IN ('resend', 'dismissed')")
    )
    with op.batch_alter_table("digest_log") as batch:
        batch.drop_column("claimed_at")
