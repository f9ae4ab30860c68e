"""Point-in-time counts: registry by administrative unit, inspections due, open cases, checks."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from sqlalchemy import case, func, select

from traceability.db import Database
from traceability.models import (
    AdminUnit,
    Anomaly,
    ConsumerReport,
    Cylinder,
    Facility,
    FieldCheck,
    Organisation,
)
from traceability.models.enums import CaseStatus, CylinderStatus, FacilityKind
from traceability.permissions import Permission, Principal
from traceability.stats.days import as_date, checked_range, day_start, local_day, local_today

FACILITY_COUNTS = {
    FacilityKind.FILLING_STATION: "stations",
    FacilityKind.RETAIL_SHOP: "shops",
    FacilityKind.DEPOT: "depots",
    FacilityKind.WAREHOUSE: "warehouses",
}
OPEN_STATUSES = (CaseStatus.OPEN, CaseStatus.INVESTIGATING)


def _empty() -> dict[str, Any]:
    return {name: 0 for name in (*FACILITY_COUNTS.values(), "traders")} | {
        "cylinders": {"total": 0}
    }


def _add(target: dict[str, Any], source: dict[str, Any]) -> None:
    for key, value in source.items():
        if isinstance(value, dict):
            _add(target.setdefault(key, {}), value)
        else:
            target[key] = target.get(key, 0) + value


def counts_by_admin_unit(db: Database, principal: Principal) -> dict[str, Any]:
    """Stations, shops, traders and cylinders (by status) per unit, each unit including its
    sub-units; cylinders count where their owner is registered."""
    principal.require(Permission.STATS_READ)
    own: dict[int | None, dict[str, Any]] = {}
    with db.read() as session:
        units = session.execute(
            select(
                AdminUnit.id, AdminUnit.code, AdminUnit.name, AdminUnit.level, AdminUnit.parent_id
            )
        ).all()
        for unit_id, kind, count in session.execute(
            select(Facility.admin_unit_id, Facility.kind, func.count())
            .where(Facility.active)
            .group_by(Facility.admin_unit_id, Facility.kind)
        ):
            name = FACILITY_COUNTS.get(kind)
            if name:
                _add(own.setdefault(unit_id, _empty()), {name: count})
        org_unit: dict[int, int | None] = {}
        for org_id, unit_id, active in session.execute(
            select(Organisation.id, Organisation.admin_unit_id, Organisation.active).where(
                Organisation.is_authority.is_(False)
            )
        ):
            org_unit[org_id] = unit_id
            if active:
                _add(own.setdefault(unit_id, _empty()), {"traders": 1})
        # Grouped by (owner, status) first: an index-only scan of ix_cylinders_owner_status.
        for owner_id, status, count in session.execute(
            select(Cylinder.owner_id, Cylinder.status, func.count()).group_by(
                Cylinder.owner_id, Cylinder.status
            )
        ):
            bucket = own.setdefault(org_unit.get(owner_id), _empty())
            _add(bucket, {"cylinders": {status: count, "total": count}})
    parents = {row.id: row.parent_id for row in units}
    totals: dict[int, dict[str, Any]] = {row.id: _empty() for row in units}
    for unit_id, counts in own.items():
        seen: set[int] = set()
        while unit_id is not None and unit_id in totals and unit_id not in seen:
            seen.add(unit_id)
            _add(totals[unit_id], counts)
            unit_id = parents.get(unit_id)
    return {
        "units": [
            {
                "id": row.id,
                "code": row.code,
                "name": row.name,
                "level": row.level,
                "parent_id": row.parent_id,
                "counts": totals[row.id],
            }
            for row in sorted(units, key=lambda r: (r.parent_id is not None, r.code))
        ],
        "unassigned": own.get(None, _empty()),
        "note": "each unit's counts include its sub-units; cylinders are counted in the unit "
        "of their owner; `unassigned` holds rows without an administrative unit",
    }


def inspections_due(db: Database, principal: Principal, offset_hours: int = 7) -> dict[str, Any]:
    """In-service cylinders whose periodic inspection is overdue or falls due within 30/90 days."""
    principal.require(Permission.STATS_READ)
    today = local_today(offset_hours)
    in_30, in_90 = today + dt.timedelta(days=30), today + dt.timedelta(days=90)
    due = Cylinder.inspection_due
    with db.read() as session:
        row = session.execute(
            select(
                func.sum(case((due < today, 1), else_=0)),
                func.sum(case(((due >= today) & (due <= in_30), 1), else_=0)),
                func.sum(case(((due >= today) & (due <= in_90), 1), else_=0)),
            ).where(due <= in_90, Cylinder.status == CylinderStatus.IN_SERVICE)
        ).one()
    return {
        "as_of": today,
        "overdue": int(row[0] or 0),
        "due_within_30_days": int(row[1] or 0),
        "due_within_90_days": int(row[2] or 0),
        "note": "in-service cylinders only; 'within 90 days' includes 'within 30 days'",
    }


def open_cases(db: Database, principal: Principal) -> dict[str, Any]:
    """Open and investigating consumer reports and anomalies, by status and reason/kind."""
    principal.require(Permission.STATS_READ)
    answer: dict[str, Any] = {}
    with db.read() as session:
        for name, model, reason in (
            ("reports", ConsumerReport, ConsumerReport.reason),
            ("anomalies", Anomaly, Anomaly.kind),
        ):
            rows = session.execute(
                select(model.status, reason, func.count(), func.min(model.created_at))
                .where(model.status.in_(OPEN_STATUSES))
                .group_by(model.status, reason)
            ).all()
            by_status = Counter({status: 0 for status in OPEN_STATUSES})
            by_reason: Counter[str] = Counter()
            oldest = None
            for status, why, count, first in rows:
                by_status[status] += count
                by_reason[why] += count
                oldest = first if oldest is None or first < oldest else oldest
            answer[name] = {
                "by_status": dict(by_status),
                "by_reason": dict(by_reason),
                "total": sum(by_status.values()),
                "oldest_open_at": oldest,
            }
    return answer


def field_checks(
    db: Database,
    principal: Principal,
    start: dt.date | None = None,
    end: dt.date | None = None,
    offset_hours: int = 7,
) -> dict[str, Any]:
    """Field checks per local day by result, and how often each violation was found."""
    principal.require(Permission.STATS_READ)
    start, end = checked_range(start, end, offset_hours)
    window = (
        FieldCheck.checked_at >= day_start(start, offset_hours),
        FieldCheck.checked_at < day_start(end + dt.timedelta(days=1), offset_hours),
    )
    days: dict[dt.date, dict[str, int]] = {}
    violations: Counter[str] = Counter()
    with db.read() as session:
        day = local_day(FieldCheck.checked_at, session.get_bind().dialect.name, offset_hours)
        for day_value, result, count in session.execute(
            select(day, FieldCheck.result, func.count())
            .where(*window)
            .group_by(day, FieldCheck.result)
        ):
            days.setdefault(as_date(day_value), {"compliant": 0, "violations": 0})[result] = count
        for listed in session.scalars(
            select(FieldCheck.violations).where(*window, FieldCheck.result == "violations")
        ):
            violations.update(listed or [])
    compliant = sum(d["compliant"] for d in days.values())
    with_violations = sum(d["violations"] for d in days.values())
    return {
        "start": start,
        "end": end,
        "total": compliant + with_violations,
        "compliant": compliant,
        "with_violations": with_violations,
        "by_violation": dict(violations),
        "days": [{"day": d, **counts} for d, counts in sorted(days.items())],
    }
