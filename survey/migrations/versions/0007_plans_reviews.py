"""communication plan, digest and review log, lessons learned

Revision ID: 0007_plans_reviews
Revises: 0003_alerts_actions
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0007_plans_reviews"
down_revision = "0003_alerts_actions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "communication_plan_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("recipient", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("stakeholder_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column(
            "audience",
            sa.Enum("summary", "detailed", "statistical", "none", name="audience"),
            nullable=False,
        ),
        sa.Column(
            "frequency", sa.Enum("daily", "weekly", "none", name="frequency"), nullable=False
        ),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"]),
        sa.ForeignKeyConstraint(["stakeholder_id"], ["stakeholder.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id", "recipient"),
    )
    op.create_index(
        "ix_communication_plan_entry_project_id", "communication_plan_entry", ["project_id"]
    )
    op.create_table(
        "digest_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("recipient", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("audience", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("period", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column(
            "status",
            sa.Enum("sending", "sent", "skipped", "failed", name="reportstatus"),
            nullable=False,
        ),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("sent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id", "recipient", "kind", "period"),
    )
    op.create_index("ix_digest_log_project_id", "digest_log", ["project_id"])
    op.create_table(
        "lesson",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=True),
        sa.Column("relationship_id", sa.Integer(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum("went_well", "should_change", "comment", "note", name="lessonkind"),
            nullable=False,
        ),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("work_again", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("confidential", sa.Boolean(), nullable=False),
        sa.Column("polarity", sa.Float(), nullable=False),
        sa.Column("subjectivity", sa.Float(), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("themes", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column(
            "analyzer_version", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False
        ),
        sa.Column("source_revision", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("recorded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"]),
        sa.ForeignKeyConstraint(["relationship_id"], ["relationship.id"]),
        sa.ForeignKeyConstraint(["response_id"], ["response.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("response_id", "kind"),
    )
    op.create_index("ix_lesson_project_id", "lesson", ["project_id"])
    op.create_index("ix_lesson_recorded_at", "lesson", ["recorded_at"])


def downgrade() -> None:
    op.drop_table("lesson")
    op.drop_table("digest_log")
    op.drop_table("communication_plan_entry")
    for name in ("lessonkind", "reportstatus", "frequency", "audience"):
        sa.Enum(name=name).drop(op.get_bind(), checkfirst=True)
