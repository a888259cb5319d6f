"""mail_delivery.interrupted_at: a delivery whose worker stopped mid-send is re-sent once

Revision ID: 0012_delivery_interrupted
Revises: 0002_distribution
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0012_delivery_interrupted"
down_revision = "0002_distribution"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mail_delivery") as batch:
        batch.add_column(
            sa.Column("interrupted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("mail_delivery") as batch:
        batch.drop_column("interrupted_at")
