"""A cylinder's full history: ledger events, labels and their scans, checks, reports, anomalies.

One timeline, newest first, paged by cursor. Actors are organisations and facilities, never
people: customer data stays sealed in the ledger and has its own audited endpoint. The owner
trader sees its own cylinder's events, labels, scans and field-check results; consumer reports,
anomalies and inspectors' notes are investigation material for authorities only.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from traceability.db import Database
from traceability.errors import NotFound
from traceability.inspection import history_scope
from traceability.inspection import history_sources as src
from traceability.labels.codec import manual_code
from traceability.models import Brand, Cylinder, CylinderType
from traceability.permissions import Principal

DEFAULT_LIMIT = 100
MAX_LIMIT = 500
LAST_SCANS = 10
AUTHORITY_ONLY = ("report", "anomaly")


def _party(org_names: dict, facilities: dict, org_id: int | None, facility_id: int | None):
    if org_id is None and facility_id is None:
        return None
    facility = facilities.get(facility_id)
    return {
        "organisation_id": org_id,
        "organisation": org_names.get(org_id),
        "facility_id": facility_id,
        "facility": facility.name if facility else None,
    }


def _cylinder_summary(session: Any, cylinder: Cylinder, org_names: dict, facilities: dict):
    brand = session.get(Brand, cylinder.brand_id)
    type_ = session.get(CylinderType, cylinder.type_id)
    return {
        "id": cylinder.id,
        "serial": cylinder.serial,
        "brand": {"id": brand.id, "code": brand.code, "name": brand.name},
        "type": type_.code,
        "owner": {"id": cylinder.owner_id, "name": org_names.get(cylinder.owner_id)},
        "status": cylinder.status,
        "inspection_due": cylinder.inspection_due,
        "last_inspected_on": cylinder.last_inspected_on,
        "manufactured_on": cylinder.manufactured_on,
        "holder": _party(
            org_names, facilities, cylinder.holder_org_id, cylinder.holder_facility_id
        ),
        "current_label_id": cylinder.current_label_id,
    }


def _event_item(entry: Any, org_names: dict, facilities: dict) -> dict[str, Any]:
    facility = facilities.get(entry.actor_facility_id)
    return {
        "type": entry.kind,
        "recorded_at": entry.recorded_at,
        "actor": _party(org_names, facilities, entry.actor_org_id, entry.actor_facility_id),
        "counterparty": _party(
            org_names, facilities, entry.counterparty_org_id, entry.counterparty_facility_id
        ),
        "place": facility.address if facility else None,
        "entry_uuid": entry.entry_uuid,
        "label_id": entry.label_id,
        "fill_id": entry.fill_id,
        "corrects_entry_id": entry.corrects_entry_id,
        "reason": entry.reason,
        "flagged": entry.anomaly,
        "has_personal_data": entry.sealed_personal_data is not None,
        "details": src.public_details(entry.details),
    }


def _label_item(label: Any, fill: Any, scans: dict, org_names: dict, facilities: dict):
    station_id = fill.station_id if fill else None
    station = facilities.get(station_id)
    return {
        "type": "label_issued",
        "label_id": label.id,
        "manual_code": manual_code(label.label_uid),  # as printed: XXXX-XXXX-XXXX-XX
        "actor": _party(
            org_names, facilities, station.organisation_id if station else None, station_id
        ),
        "place": station.address if station else None,
        "fill_id": label.fill_id,
        "filled_at": fill.filled_at if fill else None,
        "net_kg": fill.net_kg if fill else None,
        "superseded_at": label.superseded_at,
        "superseded_by_id": label.superseded_by_id,
        "current": label.superseded_at is None,
        "scans": scans.get(label.id, {"by_verdict": {}, "total": 0, "last_scanned_at": None}),
    }


def _check_item(check: Any, full: bool, org_id: int | None, org_names: dict) -> dict[str, Any]:
    item = {
        "type": "field_check",
        "result": check.result,
        "violations": list(check.violations or []),
        "place": check.place,
        "has_photo": check.photo_type is not None,
        "actor": _party(org_names, {}, org_id, None),
    }
    if full:
        item.update({"field_check_id": check.id, "notes": check.notes})
    return item


def _report_item(report: Any) -> dict[str, Any]:
    return {
        "type": "consumer_report",
        "case_id": report.id,
        "reason": report.reason,
        "status": report.status,
        "label_id": report.label_id,
        "handled_at": report.handled_at,
    }


def _anomaly_item(anomaly: Any) -> dict[str, Any]:
    return {
        "type": "anomaly",
        "case_id": anomaly.id,
        "kind": anomaly.kind,
        "status": anomaly.status,
        "label_id": anomaly.label_id,
        "entry_id": anomaly.entry_id,
        "details": src.public_details(anomaly.detail),
        "handled_at": anomaly.handled_at,
    }


def cylinder_history(
    db: Database,
    principal: Principal,
    cylinder_id: int,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> dict[str, Any]:
    """One page of the cylinder's timeline (newest first) with a summary of its scans."""
    limit = max(1, min(limit, MAX_LIMIT))
    after = src.Cursor.decode(cursor) if cursor else None
    with db.read() as session:
        cylinder = session.get(Cylinder, cylinder_id)
        scope = history_scope(principal, cylinder)
        if cylinder is None:  # pragma: no cover - history_scope raised already
            raise NotFound("cylinder not found")
        full = scope == "full"
        sources = [s for s in src.SOURCES if full or s not in AUTHORITY_ONLY]
        rows: list[tuple[src.Cursor, str, Any]] = []
        for source in sources:
            _, time_column = src.SOURCES[source]
            for row in src.newest(session, source, cylinder_id, after, limit + 1):
                at = getattr(row, time_column.key)
                rows.append((src.Cursor(at, src.RANKS[source], row.id), source, row))
        rows.sort(key=lambda item: item[0], reverse=True)
        page, more = rows[:limit], len(rows) > limit

        labels = [row for _, source, row in page if source == "label"]
        all_label_ids = list(
            session.scalars(select(src.Label.id).where(src.Label.cylinder_id == cylinder_id))
        )
        fills = src.fills_of(session, labels)
        entries = [row for _, source, row in page if source == "event"]
        org_ids = {cylinder.owner_id, cylinder.holder_org_id}
        facility_ids = {cylinder.holder_facility_id} | {f.station_id for f in fills.values()}
        for entry in entries:
            org_ids |= {entry.actor_org_id, entry.counterparty_org_id}
            facility_ids |= {entry.actor_facility_id, entry.counterparty_facility_id}
        checks = [row for _, source, row in page if source == "field_check"]
        inspector_orgs = src.user_organisations(session, {c.inspector_id for c in checks})
        org_ids |= set(inspector_orgs.values())
        recent = src.last_scans(session, all_label_ids, LAST_SCANS)
        facility_ids |= {scan.facility_id for scan in recent}
        org_names, facilities = src.names(session, org_ids, facility_ids)
        counts = src.scan_counts(session, all_label_ids)

        items = []
        for key, source, row in page:
            if source == "event":
                body = _event_item(row, org_names, facilities)
            elif source == "label":
                body = _label_item(row, fills.get(row.fill_id), counts, org_names, facilities)
            elif source == "field_check":
                body = _check_item(row, full, inspector_orgs.get(row.inspector_id), org_names)
            elif source == "report":
                body = _report_item(row)
            else:
                body = _anomaly_item(row)
            items.append({"source": source, "id": row.id, "at": key.at, **body})
        return src.jsonable(
            {
                "cylinder": _cylinder_summary(session, cylinder, org_names, facilities),
                "scans": _scan_summary(counts, recent, facilities),
                "items": items,
                "next_cursor": page[-1][0].encode() if more and page else None,
                "order": "newest_first",
                "scope": scope,
            }
        )


def _scan_summary(counts: dict, recent: list, facilities: dict) -> dict[str, Any]:
    by_verdict: dict[str, int] = {}
    for entry in counts.values():
        for verdict, count in entry["by_verdict"].items():
            by_verdict[verdict] = by_verdict.get(verdict, 0) + count
    return {
        "total": sum(by_verdict.values()),
        "by_verdict": by_verdict,
        "last": [
            {
                "scanned_at": scan.scanned_at,
                "verdict": scan.verdict,
                "label_id": scan.label_id,
                "device_class": scan.device_class,
                "facility": facilities[scan.facility_id].name
                if scan.facility_id in facilities
                else None,
            }
            for scan in recent
        ],
    }
