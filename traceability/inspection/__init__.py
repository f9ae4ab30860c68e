"""Inspectors' tools: a cylinder's full history, field checks, and the work queue of cases."""

from __future__ import annotations

from traceability.errors import Forbidden, NotFound
from traceability.models import Cylinder
from traceability.models.enums import Role
from traceability.permissions import Permission, Principal


def history_scope(principal: Principal, cylinder: Cylinder | None) -> str:
    """Who may read a cylinder's history: authorities fully, the owner trader a reduced view.

    Stations and shops are refused outright (403); a trader asking about a cylinder it does not own
    gets 404, so it learns nothing about other traders' cylinders.
    """
    if principal.has(Permission.CYLINDER_HISTORY):
        if cylinder is None:
            raise NotFound("cylinder not found")
        return "full"
    if principal.role != Role.TRADER:
        raise Forbidden("only inspectors, administrators and the owner read a cylinder's history")
    if cylinder is None or cylinder.owner_id != principal.organisation_id:
        raise NotFound("cylinder not found")
    return "owner"
