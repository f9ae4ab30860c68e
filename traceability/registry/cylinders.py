"""Cylinders: registration one by one, reading with per-organisation separation, and edits.

Status changes (quarantine, scrapping, theft…) are custody-ledger events recorded elsewhere; the
only status change here is an administrator's audited override with a reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from traceability import audit
from traceability.db import Database
from traceability.errors import Conflict, Forbidden, NotFound, ValidationFailed
from traceability.models import Brand, Cylinder, CylinderType, Organisation
from traceability.models.enums import CylinderStatus, Role
from traceability.permissions import Principal
from traceability.registry import etag, flush_or_conflict, province_today
from traceability.registry.cylinder_rules import (
    CylinderFields,
    FieldProblem,
    InvalidCylinder,
    check_fields,
)
from traceability.registry.search import Page, paginate
from traceability.text import fold, like_pattern

EDITABLE = ("manufacturer", "manufactured_on", "tare_kg", "last_inspected_on", "inspection_due")
CREATED_FIELDS = ("owner_id", "brand_id", "type_id", "serial", *EDITABLE, "status")
CHUNK = 500


class DuplicateSerial(Conflict):
    code = "duplicate_serial"
    message_vi = "Số sê-ri này đã được đăng ký cho chủ sở hữu này."
    message_en = "This serial is already registered for this owner."


class OwnerRequired(ValidationFailed):
    code = "owner_required"
    message_vi = "Quản trị viên cần chỉ rõ tổ chức sở hữu (owner_id)."
    message_en = "Administrators must name the owning organisation (owner_id)."


class UnknownOwner(ValidationFailed):
    code = "unknown_owner"
    message_vi = "Không có tổ chức sở hữu bình này."
    message_en = "There is no such cylinder-owning organisation."


class StatusChangeNotAllowed(Forbidden):
    code = "status_change_not_allowed"
    message_vi = (
        "Trạng thái bình thay đổi qua sổ theo dõi; chỉ quản trị viên được điều chỉnh trực tiếp."
    )
    message_en = "Status changes are ledger events; only an administrator may override directly."


class ReasonRequired(ValidationFailed):
    code = "status_reason_required"
    message_vi = "Cần nêu lý do khi điều chỉnh trạng thái bình."
    message_en = "A reason is required to override a cylinder's status."


def describe_cylinder(cylinder: Cylinder) -> dict[str, Any]:
    """The API's view of a cylinder (brand and type codes included, for people reading it)."""
    return {
        "id": cylinder.id,
        "owner_id": cylinder.owner_id,
        "brand_id": cylinder.brand_id,
        "brand_code": cylinder.brand.code,
        "type_id": cylinder.type_id,
        "type_code": cylinder.type.code,
        "serial": cylinder.serial,
        "manufacturer": cylinder.manufacturer,
        "manufactured_on": cylinder.manufactured_on,
        "tare_kg": cylinder.tare_kg,
        "last_inspected_on": cylinder.last_inspected_on,
        "inspection_due": cylinder.inspection_due,
        "status": cylinder.status,
        "holder_org_id": cylinder.holder_org_id,
        "holder_facility_id": cylinder.holder_facility_id,
        "current_label_id": cylinder.current_label_id,
        "created_at": cylinder.created_at,
        "updated_at": cylinder.updated_at,
        "version": cylinder.version,
    }


def resolve_owner(session: Session, principal: Principal, owner_id: int | None) -> Organisation:
    """The organisation new cylinders belong to: the caller's own, or any for an administrator."""
    if principal.role != Role.ADMIN:
        if owner_id is not None:
            principal.ensure_write_org(owner_id, "organisation")
        owner_id = principal.organisation_id
    elif owner_id is None:
        raise OwnerRequired()
    owner = session.get(Organisation, owner_id)
    if owner is None or owner.is_authority:
        raise UnknownOwner(f"organisation {owner_id}")
    return owner


def taken_serials(session: Session, owner_id: int, folded: Iterable[str]) -> set[str]:
    """Which of these folded serials the owner already has (queried in chunks)."""
    wanted = sorted(set(folded))
    taken: set[str] = set()
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        taken.update(
            session.scalars(
                select(Cylinder.serial_search).where(
                    Cylinder.owner_id == owner_id, Cylinder.serial_search.in_(chunk)
                )
            )
        )
    return taken


def _lookups(
    session: Session, owner: Organisation, brand_id: int, type_id: int
) -> list[FieldProblem]:
    problems = []
    brand = session.get(Brand, brand_id)
    if brand is None:
        problems.append(FieldProblem("brand_id", "unknown_brand", brand_id))
    elif brand.organisation_id != owner.id:
        problems.append(FieldProblem("brand_id", "brand_not_owned", brand.code))
    if session.get(CylinderType, type_id) is None:
        problems.append(FieldProblem("type_id", "unknown_type", type_id))
    return problems


def register_cylinder(db: Database, principal: Principal, data: dict[str, Any]) -> dict[str, Any]:
    """Register one cylinder for its owner; the owner is also its first holder."""
    fields = CylinderFields(**{name: data.get(name) for name in ("serial", *EDITABLE)})
    problems = check_fields(fields, province_today())
    with db.transaction() as session:
        owner = resolve_owner(session, principal, data.get("owner_id"))
        problems += _lookups(session, owner, data["brand_id"], data["type_id"])
        if problems:
            raise InvalidCylinder.of(problems)
        folded = fold(fields.serial)
        if taken_serials(session, owner.id, [folded]):
            raise DuplicateSerial(f"serial {fields.serial} is already registered")
        cylinder = Cylinder(
            owner_id=owner.id,
            brand_id=data["brand_id"],
            type_id=data["type_id"],
            serial=fields.serial,
            serial_search=folded,
            holder_org_id=owner.id,
            status=CylinderStatus.IN_SERVICE,
            **{name: getattr(fields, name) for name in EDITABLE},
        )
        session.add(cylinder)
        flush_or_conflict(session, DuplicateSerial(f"serial {fields.serial} is already registered"))
        audit.record(
            session,
            principal,
            "create",
            "cylinder",
            cylinder.id,
            audit.snapshot(cylinder, CREATED_FIELDS),
            organisation_id=owner.id,
        )
        session.refresh(cylinder)
        return describe_cylinder(cylinder)


def _visible(session: Session, principal: Principal, cylinder_id: int) -> Cylinder:
    cylinder = session.get(Cylinder, cylinder_id)
    if cylinder is None or not principal.can_read_org(cylinder.owner_id):
        raise NotFound("cylinder not found")
    return cylinder


def get_cylinder(db: Database, principal: Principal, cylinder_id: int) -> dict[str, Any]:
    with db.read() as session:
        return describe_cylinder(_visible(session, principal, cylinder_id))


def list_cylinders(
    db: Database,
    principal: Principal,
    *,
    page: int = 1,
    per_page: int = 50,
    owner_id: int | None = None,
    brand_id: int | None = None,
    brand: str | None = None,
    type_code: str | None = None,
    status: str | None = None,
    serial: str | None = None,
    serial_match: str = "contains",
    inspection_due_before: dt.date | None = None,
) -> Page:
    """Cylinders the caller may see (its own organisation's, or all for the authorities)."""
    stmt = select(Cylinder)
    if not principal.is_authority:
        stmt = stmt.where(Cylinder.owner_id == principal.organisation_id)
    if owner_id is not None:
        stmt = stmt.where(Cylinder.owner_id == owner_id)
    if brand_id is not None:
        stmt = stmt.where(Cylinder.brand_id == brand_id)
    if brand:
        stmt = stmt.join(Brand, Brand.id == Cylinder.brand_id).where(
            func.upper(Brand.code) == brand.upper()
        )
    if type_code:
        stmt = stmt.join(CylinderType, CylinderType.id == Cylinder.type_id).where(
            func.upper(CylinderType.code) == type_code.upper()
        )
    if status:
        stmt = stmt.where(Cylinder.status == status)
    if serial:
        pattern = {"exact": fold(serial), "prefix": like_pattern(serial)[1:]}.get(
            serial_match, like_pattern(serial)
        )
        column = Cylinder.serial_search
        stmt = stmt.where(
            column == pattern if serial_match == "exact" else column.like(pattern, escape="\\")
        )
    if inspection_due_before is not None:
        stmt = stmt.where(Cylinder.inspection_due < inspection_due_before)
    with db.read() as session:
        return paginate(session, stmt.order_by(Cylinder.id), page, per_page, describe_cylinder)


def update_cylinder(
    db: Database,
    principal: Principal,
    cylinder_id: int,
    accepted_versions: frozenset[int],
    changes: dict[str, Any],
) -> dict[str, Any]:
    """Edit a cylinder's technical data (optimistic concurrency); status only by an admin."""
    status = changes.pop("status", None)
    reason = changes.pop("status_reason", None)
    if status is not None and principal.role != Role.ADMIN:
        raise StatusChangeNotAllowed()
    if status is not None and not (reason and reason.strip()):
        raise ReasonRequired()
    with db.transaction() as session:
        cylinder = etag.load_for_update(session, Cylinder, cylinder_id, "cylinder")
        principal.ensure_write_org(cylinder.owner_id, "cylinder")
        etag.ensure_current(cylinder, accepted_versions)
        merged = {name: changes.get(name, getattr(cylinder, name)) for name in EDITABLE}
        problems = check_fields(CylinderFields(serial=cylinder.serial, **merged), province_today())
        if problems:
            raise InvalidCylinder.of(problems)
        changed: dict[str, Any] = audit.apply_changes(cylinder, changes)
        action = "update"
        if status is not None:
            status_change = audit.apply_changes(cylinder, {"status": status})
            if status_change:
                changed.update(status_change, status_reason=reason.strip())
                action = "status_override"
        etag.bump(cylinder, changed)
        if changed:
            audit.record(
                session,
                principal,
                action,
                "cylinder",
                cylinder.id,
                changed,
                organisation_id=cylinder.owner_id,
            )
        session.flush()
        session.refresh(cylinder)
        return describe_cylinder(cylinder)
