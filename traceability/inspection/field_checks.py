"""Field checks: an inspector's record of a cylinder checked in a shop, truck or home.

Recording is idempotent by the client's `entry_uuid` (inspectors work offline and retry).
Violations that point at fraud open an anomaly in the work queue.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, cast, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer

from traceability import audit
from traceability.db import Database, utcnow
from traceability.errors import Conflict, Forbidden, NotFound, ValidationFailed
from traceability.ledger.events_refs import resolve_cylinder
from traceability.models import Anomaly, FieldCheck
from traceability.paging import Page, fetch_page
from traceability.permissions import Permission, Principal

RESULTS = ("compliant", "violations")
VIOLATIONS = (
    "expired_inspection",
    "no_label",
    "label_mismatch",
    "suspected_illegal_refill",
    "appropriated_cylinder",
    "short_weight",
    "other",
)
# Violations that suggest fraud by someone in the trade: they go to the inspectors' queue.
QUEUED_VIOLATIONS = ("appropriated_cylinder", "suspected_illegal_refill")
ANOMALY_KIND = "field_check_violation"
MAX_NOTES = 2000
COORDINATE_DECIMALS = 3  # about 110 m of latitude: enough to find the place, not the doorstep
FUTURE_SKEW = dt.timedelta(minutes=5)


class FieldCheckConflict(Conflict):
    code = "field_check_uuid_reused"
    message_vi = "Mã entry_uuid này đã dùng cho một biên bản kiểm tra khác."
    message_en = "This entry_uuid was already used for a different field check."


class InvalidFieldCheck(ValidationFailed):
    code = "invalid_field_check"
    message_vi = "Biên bản kiểm tra không hợp lệ."
    message_en = "The field check is not valid."


@dataclass
class FieldCheckInput:
    """What the inspector's app sends; the cylinder is named by id, brand + serial, or label."""

    entry_uuid: str
    checked_at: dt.datetime
    place: str
    result: str
    violations: list[str] = field(default_factory=list)
    notes: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    cylinder_id: int | None = None
    brand_code: str | None = None
    serial: str | None = None
    label: str | None = None


def describe(check: FieldCheck) -> dict[str, Any]:
    """The check as plain data (the photo itself is fetched separately)."""
    return {
        "id": check.id,
        "entry_uuid": check.entry_uuid,
        "cylinder_id": check.cylinder_id,
        "inspector_id": check.inspector_id,
        "checked_at": check.checked_at,
        "place": check.place,
        "latitude": check.latitude,
        "longitude": check.longitude,
        "result": check.result,
        "violations": list(check.violations or []),
        "notes": check.notes,
        "has_photo": check.photo_type is not None,
        "created_at": check.created_at,
    }


def _coarse(value: float | None) -> float | None:
    return None if value is None else round(value, COORDINATE_DECIMALS)


def _validate(data: FieldCheckInput) -> list[str]:
    violations = list(dict.fromkeys(data.violations))
    unknown = [v for v in violations if v not in VIOLATIONS]
    if unknown:
        raise InvalidFieldCheck(f"unknown violations: {', '.join(unknown)}")
    if data.result not in RESULTS:
        raise InvalidFieldCheck(f"result must be one of {', '.join(RESULTS)}")
    if data.result == "compliant" and violations:
        raise InvalidFieldCheck("a compliant check lists no violations")
    if data.result == "violations" and not violations:
        raise InvalidFieldCheck("list at least one violation")
    if "other" in violations and not (data.notes or "").strip():
        raise InvalidFieldCheck("describe an 'other' violation in the notes")
    if data.notes is not None and len(data.notes) > MAX_NOTES:
        raise InvalidFieldCheck(f"notes are limited to {MAX_NOTES} characters")
    if data.checked_at.tzinfo is None:
        raise InvalidFieldCheck("checked_at needs a time zone")
    if data.checked_at > utcnow() + FUTURE_SKEW:
        raise InvalidFieldCheck("checked_at is in the future")
    return violations


def _same(check: FieldCheck, data: FieldCheckInput, cylinder_id: int, violations: list[str]):
    return (
        check.cylinder_id == cylinder_id
        and check.checked_at == data.checked_at.astimezone(dt.UTC)
        and check.result == data.result
        and list(check.violations or []) == violations
        and check.place == data.place
        and (check.notes or None) == (data.notes or None)
    )


def _replay(session: Any, principal: Principal, data: FieldCheckInput, violations: list[str]):
    existing = session.scalar(select(FieldCheck).where(FieldCheck.entry_uuid == data.entry_uuid))
    if existing is None:
        return None
    named = resolve_cylinder(session, _reference(data))
    if existing.inspector_id != principal.user_id or not _same(
        existing, data, named.cylinder.id, violations
    ):
        raise FieldCheckConflict(data.entry_uuid)
    return existing


def _reference(data: FieldCheckInput) -> dict[str, Any]:
    return {
        "cylinder_id": data.cylinder_id,
        "brand_code": data.brand_code.upper() if data.brand_code else None,
        "serial": data.serial,
        "label": data.label,
    }


def record_field_check(
    db: Database, principal: Principal, data: FieldCheckInput
) -> tuple[dict[str, Any], bool]:
    """Store a field check (or return the one already stored under its UUID); True if new."""
    principal.require(Permission.FIELD_CHECK_RECORD)
    if principal.user_id is None:
        raise Forbidden("field checks are recorded by a named inspector, not a device")
    violations = _validate(data)
    try:
        with db.transaction() as session:
            existing = _replay(session, principal, data, violations)
            if existing is not None:
                return describe(existing), False
            named = resolve_cylinder(session, _reference(data))
            check = FieldCheck(
                entry_uuid=data.entry_uuid,
                cylinder_id=named.cylinder.id,
                inspector_id=principal.user_id,
                checked_at=data.checked_at.astimezone(dt.UTC),
                place=data.place,
                latitude=_coarse(data.latitude),
                longitude=_coarse(data.longitude),
                result=data.result,
                violations=violations,
                notes=data.notes or None,
                created_at=utcnow(),
            )
            session.add(check)
            session.flush()
            queued = [v for v in violations if v in QUEUED_VIOLATIONS]
            if queued:
                session.add(
                    Anomaly(
                        kind=ANOMALY_KIND,
                        cylinder_id=named.cylinder.id,
                        label_id=named.label_id,
                        detail={"field_check_id": check.id, "violations": queued},
                        created_at=utcnow(),
                    )
                )
            audit.record(
                session,
                principal,
                "field_check.record",
                "field_check",
                check.id,
                audit.snapshot(check, ("cylinder_id", "checked_at", "result", "violations")),
                organisation_id=named.cylinder.owner_id,
            )
            return describe(check), True
    except IntegrityError:
        # A concurrent retry with the same UUID won the race: answer as a replay.
        with db.transaction() as session:
            existing = _replay(session, principal, data, violations)
            if existing is None:
                raise
            return describe(existing), False


def get_field_check(db: Database, principal: Principal, check_id: int) -> dict[str, Any]:
    principal.require(Permission.CYLINDER_HISTORY)
    with db.read() as session:
        check = session.get(FieldCheck, check_id, options=[defer(FieldCheck.photo)])
        if check is None:
            raise NotFound("field check not found")
        return describe(check)


def list_field_checks(
    db: Database,
    principal: Principal,
    *,
    page: int = 1,
    per_page: int = 50,
    cylinder_id: int | None = None,
    inspector_id: int | None = None,
    result: str | None = None,
    violation: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> Page[dict[str, Any]]:
    """Field checks, newest first, filtered; photos are fetched separately."""
    principal.require(Permission.CYLINDER_HISTORY)
    stmt = (
        select(FieldCheck)
        .options(defer(FieldCheck.photo))
        .order_by(FieldCheck.checked_at.desc(), FieldCheck.id.desc())
    )
    if cylinder_id is not None:
        stmt = stmt.where(FieldCheck.cylinder_id == cylinder_id)
    if inspector_id is not None:
        stmt = stmt.where(FieldCheck.inspector_id == inspector_id)
    if result is not None:
        stmt = stmt.where(FieldCheck.result == result)
    if violation is not None:
        # Portable JSON-array membership: the stored text contains the quoted value.
        stmt = stmt.where(cast(FieldCheck.violations, String).like(f'%"{violation}"%'))
    if since is not None:
        stmt = stmt.where(FieldCheck.checked_at >= since)
    if until is not None:
        stmt = stmt.where(FieldCheck.checked_at < until)
    with db.read() as session:
        found = fetch_page(session, stmt, page, per_page)
        return Page([describe(c) for c in found.items], found.page, found.per_page, found.total)
