"""project_grant: a viewer reads the projects an admin grants, and no others

Revision ID: 0011_project_grants
Revises: 0001
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0011_project_grants"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "project_grant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("granted_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"]),
        sa.ForeignKeyConstraint(["granted_by_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "project_id"),
    )
    with op.batch_alter_table("project_grant", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_project_grant_user_id"), ["user_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_project_grant_project_id"), ["project_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("project_grant", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_project_grant_project_id"))
        batch_op.drop_index(batch_op.f("ix_project_grant_user_id"))
    op.drop_table("project_grant")
