"""fills keep the inspection due date in force when filled (what the label carries)

The Decree 87 ledgers showed the cylinder's current due date on every historical row; after a
re-inspection that rewrote history. Older fills stay NULL and fall back to the cylinder's date.

Revision ID: e8c2d7a41b56
Revises: c5b81e0f4d93
Create Date: 2026-12-04 23:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "e8c2d7a41b56"
down_revision = "c5b81e0f4d93"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("fills", sa.Column("inspection_due", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("fills") as batch:
        batch.drop_column("inspection_due")
