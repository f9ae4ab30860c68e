"""trigram index for contains-searches on cylinder serials (PostgreSQL only)

Revision ID: c5b81e0f4d93
Revises: a3f09c6d2e71
Create Date: 2026-12-04 23:30:00
"""

from alembic import op

from traceability.models.search_indexes import SERIAL_TRIGRAM_INDEX, create_serial_trigram_index

revision = "c5b81e0f4d93"
down_revision = "a3f09c6d2e71"
branch_labels = None
depends_on = None


def upgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        create_serial_trigram_index(connection)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {SERIAL_TRIGRAM_INDEX}")
