"""Performance indexes: a relationship's responses in one wave

Revision ID: 0005_perf_indexes
Revises: 0001

Recomputing one trend point reads the responses of one relationship in one wave. With only
the single-column indexes, SQLite chose ix_response_wave_id and read every response of the
wave (all projects) for each point, so scoring a wave's comments grew with the square of
the wave's size.
"""

from alembic import op

revision = "0005_perf_indexes"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_response_relationship_wave", "response", ["relationship_id", "wave_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_response_relationship_wave", table_name="response")
