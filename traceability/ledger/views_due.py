"""The inspection due date a ledger row shows: the one in force when the movement happened."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from traceability.models import Cylinder, Fill


def inspection_due_at(cylinder_id: Any, at: Any) -> Any:
    """Due date on the label of the cylinder's last fill by `at` (fills keep it), else, for
    fills recorded before they kept it, the cylinder's current one. Needs Cylinder joined."""
    on_label = (
        select(Fill.inspection_due)
        .where(Fill.cylinder_id == cylinder_id, Fill.filled_at <= at)
        .order_by(Fill.filled_at.desc(), Fill.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return func.coalesce(on_label, Cylinder.inspection_due).label("inspection_due")
