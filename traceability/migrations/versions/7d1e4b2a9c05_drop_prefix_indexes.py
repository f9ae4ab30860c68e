"""drop single-column indexes that a composite index already leads with

Every scan, report, anomaly and field check paid to maintain an index that the composite
one beside it (same first column) already serves.

Revision ID: 7d1e4b2a9c05
Revises: 2cff1503c876
Create Date: 2026-12-04 22:50:00
"""

from alembic import op

revision = "7d1e4b2a9c05"
down_revision = "2cff1503c876"
branch_labels = None
depends_on = None

# index -> (table, column); each is served by the composite index named in the comment.
REDUNDANT = {
    "ix_scans_label_id": ("scans", "label_id"),  # ix_scans_label_time
    "ix_field_checks_cylinder_id": ("field_checks", "cylinder_id"),  # ix_field_checks_cylinder_time
    "ix_consumer_reports_status": ("consumer_reports", "status"),  # ..._status_created
    "ix_anomalies_status": ("anomalies", "status"),  # ix_anomalies_status_created
}


def upgrade() -> None:
    for name, (table, _column) in REDUNDANT.items():
        op.drop_index(name, table_name=table)


def downgrade() -> None:
    for name, (table, column) in REDUNDANT.items():
        op.create_index(name, table, [column], unique=False)
