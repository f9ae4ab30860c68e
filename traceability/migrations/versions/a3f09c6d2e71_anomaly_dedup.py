"""anomalies seen again count on the open case instead of adding a row each time

A forged label scanned a hundred times is one case for an inspector, seen a hundred times.

Revision ID: a3f09c6d2e71
Revises: 7d1e4b2a9c05
Create Date: 2026-12-04 23:05:00
"""

import sqlalchemy as sa
from alembic import op

import traceability.db

revision = "a3f09c6d2e71"
down_revision = "7d1e4b2a9c05"
branch_labels = None
depends_on = None

NOT_CLOSED = sa.text("status != 'closed'")


def upgrade() -> None:
    op.add_column("anomalies", sa.Column("dedup_key", sa.String(length=128), nullable=True))
    op.add_column(
        "anomalies", sa.Column("occurrences", sa.Integer(), server_default="1", nullable=False)
    )
    op.add_column(
        "anomalies",
        sa.Column("last_seen_at", traceability.db.UTCDateTime(), nullable=True),
    )
    op.create_index(
        "uq_anomalies_dedup_not_closed",
        "anomalies",
        ["dedup_key"],
        unique=True,
        sqlite_where=NOT_CLOSED,
        postgresql_where=NOT_CLOSED,
    )


def downgrade() -> None:
    op.drop_index("uq_anomalies_dedup_not_closed", table_name="anomalies")
    with op.batch_alter_table("anomalies") as batch:
        batch.drop_column("last_seen_at")
        batch.drop_column("occurrences")
        batch.drop_column("dedup_key")
