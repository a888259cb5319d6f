"""re-run the alert rules on projects holding per-person alerts from confidential waves

The rules now keep every per-person alert on attributed waves, and withdraw (resolve and
anonymise) any that points at a confidential wave. Alerts raised before that are left in
older databases; clearing alerts_evaluated_at makes the scheduler evaluate those projects
again within a minute, which withdraws them. No rows are changed here otherwise.

Revision ID: 0013_recheck_confidential_alerts
Revises: 0001 (depends on 0006_pm_view)
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_recheck_confidential_alerts"
down_revision = "0001"
branch_labels = None
# alert.wave_id and project.alerts_evaluated_at come from the PM view branch.
depends_on = "0006_pm_view"

AFFECTED = """
    SELECT alert.project_id FROM alert JOIN wave ON wave.id = alert.wave_id
    WHERE alert.subject_kind = 'relationship' AND wave.attribution = 'confidential'
"""


def upgrade() -> None:
    op.execute(sa.text(f"UPDATE project SET alerts_evaluated_at = NULL WHERE id IN ({AFFECTED})"))


def downgrade() -> None:
    pass  # Nothing to undo: the evaluation it asked for is harmless to have run.
