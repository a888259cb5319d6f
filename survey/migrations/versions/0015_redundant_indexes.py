"""Drop three indexes that others already cover

Revision ID: 0015_redundant_indexes
Revises: 0005_perf_indexes

Every survey answer writes these tables, and each index is one more page to write per
answer. A query on a column's own index is served as well by a composite index that
starts with the column, so:
- ix_response_relationship_id: ix_response_relationship_wave (relationship_id, wave_id);
- ix_answer_response_id: the unique (response_id, question_id) constraint's index;
- ix_outbox_event_kind: no query looks events up by kind (workers claim them by id and
  processed_at).
"""

from alembic import op

revision = "0015_redundant_indexes"
down_revision = "0005_perf_indexes"
branch_labels = None
depends_on = None

DROPPED = (
    ("ix_response_relationship_id", "response", ["relationship_id"]),
    ("ix_answer_response_id", "answer", ["response_id"]),
    ("ix_outbox_event_kind", "outbox_event", ["kind"]),
)


def upgrade() -> None:
    for name, table, columns in DROPPED:
        op.drop_index(name, table_name=table)


def downgrade() -> None:
    for name, table, columns in DROPPED:
        op.create_index(name, table, columns, unique=False)
