"""Reference data the department keeps: administrative units, cylinder types and brands.

Administrative units are rows with a level and a validity period, never code: a reform adds the
new units, re-parents what survives and closes what was abolished (see docs/registry.md).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from traceability import audit
from traceability.db import Database
from traceability.errors import BusinessRuleViolation, Conflict, NotFound, ValidationFailed
from traceability.models import AdminUnit, Brand, CylinderType, Organisation
from traceability.paging import Page
from traceability.permissions import Permission, Principal
from traceability.registry import ensure_period, flush_or_conflict, province_today, search_text
from traceability.registry.search import paginate, words_match

MAX_HIERARCHY_DEPTH = 16
UNIT_FIELDS = ("code", "name", "level", "parent_id", "valid_from", "valid_to")
TYPE_FIELDS = ("code", "name", "nominal_kg", "water_capacity_l", "standard")
BRAND_FIELDS = ("organisation_id", "code", "name")


class AdminUnitCodeTaken(Conflict):
    code = "admin_unit_code_taken"
    message_vi = "Mã đơn vị hành chính đã tồn tại."
    message_en = "An administrative unit with this code already exists."


class UnknownAdminUnit(ValidationFailed):
    code = "admin_unit_unknown"
    message_vi = "Đơn vị hành chính không tồn tại."
    message_en = "No such administrative unit."


class AdminUnitClosed(ValidationFailed):
    code = "admin_unit_closed"
    message_vi = "Đơn vị hành chính này đã giải thể; hãy chọn đơn vị hiện hành."
    message_en = "This administrative unit has been abolished; choose a current one."


class AdminUnitCycle(ValidationFailed):
    code = "admin_unit_cycle"
    message_vi = "Không thể đặt một đơn vị làm cấp trên của chính nó."
    message_en = "A unit cannot become its own ancestor."


class AdminUnitHasOpenChildren(BusinessRuleViolation):
    code = "admin_unit_has_open_children"
    message_vi = "Hãy chuyển hoặc giải thể các đơn vị trực thuộc trước khi giải thể đơn vị này."
    message_en = "Re-parent or close the units below this one before closing it."


class CylinderTypeCodeTaken(Conflict):
    code = "cylinder_type_code_taken"
    message_vi = "Mã loại chai đã tồn tại."
    message_en = "A cylinder type with this code already exists."


class BrandCodeTaken(Conflict):
    code = "brand_code_taken"
    message_vi = "Mã thương hiệu đã tồn tại."
    message_en = "A brand with this code already exists."


class UnknownOrganisation(ValidationFailed):
    code = "organisation_unknown"
    message_vi = "Tổ chức không tồn tại."
    message_en = "No such organisation."


def is_open(unit: AdminUnit, day: dt.date) -> bool:
    """Whether the unit exists on that day (open-ended periods never close)."""
    return (unit.valid_from is None or unit.valid_from <= day) and (
        unit.valid_to is None or unit.valid_to >= day
    )


def ensure_admin_unit(session: Session, unit_id: int | None) -> AdminUnit | None:
    """The unit an organisation or facility is placed in: must exist and not be abolished."""
    if unit_id is None:
        return None
    unit = session.get(AdminUnit, unit_id)
    if unit is None:
        raise UnknownAdminUnit(f"administrative unit {unit_id} does not exist")
    if unit.valid_to is not None and unit.valid_to < province_today():
        raise AdminUnitClosed(f"{unit.name} closed on {unit.valid_to.isoformat()}")
    return unit


def describe_unit(unit: AdminUnit) -> dict[str, Any]:
    return {field: getattr(unit, field) for field in ("id", *UNIT_FIELDS)} | {
        "open_today": is_open(unit, province_today())
    }


def _ancestors(session: Session, unit: AdminUnit) -> list[AdminUnit]:
    chain: list[AdminUnit] = []
    parent_id = unit.parent_id
    while parent_id is not None and len(chain) < MAX_HIERARCHY_DEPTH:
        parent = session.get(AdminUnit, parent_id)
        if parent is None:
            break
        chain.append(parent)
        parent_id = parent.parent_id
    return chain


def list_admin_units(
    db: Database,
    principal: Principal,
    *,
    page: int = 1,
    per_page: int = 50,
    parent_id: int | None = None,
    level: str | None = None,
    q: str | None = None,
    include_closed: bool = False,
) -> Page:
    """Units filtered by parent, level and name; abolished ones only when asked for."""
    principal.require(Permission.REGISTRY_READ)
    stmt = select(AdminUnit).where(*words_match(AdminUnit.name_search, q))
    if parent_id is not None:
        stmt = stmt.where(AdminUnit.parent_id == parent_id)
    if level:
        stmt = stmt.where(AdminUnit.level == level)
    if not include_closed:
        stmt = stmt.where(or_(AdminUnit.valid_to.is_(None), AdminUnit.valid_to >= province_today()))
    stmt = stmt.order_by(AdminUnit.code, AdminUnit.id)
    with db.read() as session:
        return paginate(session, stmt, page, per_page, describe_unit)


def get_admin_unit(db: Database, principal: Principal, unit_id: int) -> dict[str, Any]:
    """One unit with its chain of parents up to the root (nearest first)."""
    principal.require(Permission.REGISTRY_READ)
    with db.read() as session:
        unit = session.get(AdminUnit, unit_id)
        if unit is None:
            raise NotFound("administrative unit not found")
        return describe_unit(unit) | {
            "parents": [describe_unit(parent) for parent in _ancestors(session, unit)]
        }


def _check_parent(session: Session, unit_id: int | None, parent_id: int | None) -> None:
    if parent_id is None:
        return
    parent = session.get(AdminUnit, parent_id)
    if parent is None:
        raise UnknownAdminUnit(f"parent {parent_id} does not exist")
    if parent.valid_to is not None and parent.valid_to < province_today():
        raise AdminUnitClosed(f"{parent.name} closed on {parent.valid_to.isoformat()}")
    if unit_id is not None and (
        parent.id == unit_id or any(a.id == unit_id for a in _ancestors(session, parent))
    ):
        raise AdminUnitCycle(f"unit {parent_id} lies below unit {unit_id}")


def _ensure_code_free(session: Session, model: Any, code: str, conflict: Conflict) -> None:
    if session.scalar(select(model.id).where(model.code == code)) is not None:
        raise conflict


def create_admin_unit(db: Database, principal: Principal, data: dict[str, Any]) -> dict[str, Any]:
    """Add a unit (e.g. a commune created by a reform) under an existing parent."""
    principal.require(Permission.REGISTRY_MANAGE)
    ensure_period(data.get("valid_from"), data.get("valid_to"))
    with db.transaction() as session:
        _ensure_code_free(session, AdminUnit, data["code"], AdminUnitCodeTaken())
        _check_parent(session, None, data.get("parent_id"))
        unit = AdminUnit(**data, name_search=search_text(data["name"], limit=255))
        session.add(unit)
        flush_or_conflict(session, AdminUnitCodeTaken())
        audit.record(
            session, principal, "create", "admin_unit", unit.id, audit.snapshot(unit, UNIT_FIELDS)
        )
        return describe_unit(unit)


def update_admin_unit(
    db: Database, principal: Principal, unit_id: int, data: dict[str, Any]
) -> dict[str, Any]:
    """Rename, re-parent, or close a unit (valid_to); closing requires its children moved first."""
    principal.require(Permission.REGISTRY_MANAGE)
    with db.transaction() as session:
        unit = session.get(AdminUnit, unit_id, with_for_update=True)
        if unit is None:
            raise NotFound("administrative unit not found")
        ensure_period(data.get("valid_from", unit.valid_from), data.get("valid_to", unit.valid_to))
        if "parent_id" in data:
            _check_parent(session, unit.id, data["parent_id"])
        if "code" in data and data["code"] != unit.code:
            _ensure_code_free(session, AdminUnit, data["code"], AdminUnitCodeTaken())
        if data.get("valid_to") is not None:
            _ensure_children_closed(session, unit, data["valid_to"])
        changed = audit.apply_changes(unit, data)
        if "name" in changed:
            unit.name_search = search_text(unit.name, limit=255)
        flush_or_conflict(session, AdminUnitCodeTaken())
        if changed:
            audit.record(session, principal, "update", "admin_unit", unit.id, changed)
        return describe_unit(unit)


def _ensure_children_closed(session: Session, unit: AdminUnit, closing_on: dt.date) -> None:
    still_open = session.scalar(
        select(AdminUnit.name)
        .where(
            AdminUnit.parent_id == unit.id,
            or_(AdminUnit.valid_to.is_(None), AdminUnit.valid_to > closing_on),
        )
        .limit(1)
    )
    if still_open is not None:
        raise AdminUnitHasOpenChildren(f"{still_open} is still open under {unit.name}")


def describe_type(item: CylinderType) -> dict[str, Any]:
    return {field: getattr(item, field) for field in ("id", *TYPE_FIELDS)}


def list_cylinder_types(db: Database, principal: Principal) -> list[dict[str, Any]]:
    """Every cylinder type, smallest first."""
    principal.require(Permission.REGISTRY_READ)
    stmt = select(CylinderType).order_by(CylinderType.nominal_kg, CylinderType.code)
    with db.read() as session:
        return [describe_type(item) for item in session.scalars(stmt)]


def create_cylinder_type(
    db: Database, principal: Principal, data: dict[str, Any]
) -> dict[str, Any]:
    """Register a cylinder model by its nominal LPG mass."""
    principal.require(Permission.REGISTRY_MANAGE)
    with db.transaction() as session:
        _ensure_code_free(session, CylinderType, data["code"], CylinderTypeCodeTaken())
        item = CylinderType(**data)
        session.add(item)
        flush_or_conflict(session, CylinderTypeCodeTaken())
        audit.record(
            session,
            principal,
            "create",
            "cylinder_type",
            item.id,
            audit.snapshot(item, TYPE_FIELDS),
        )
        return describe_type(item)


def list_brands(
    db: Database, principal: Principal, organisation_id: int | None = None
) -> list[dict[str, Any]]:
    """Brands by code; traders, stations and shops see their own organisation's."""
    principal.require(Permission.REGISTRY_READ)
    stmt = select(Brand, Organisation.name).join(
        Organisation, Organisation.id == Brand.organisation_id
    )
    if not principal.is_authority:
        stmt = stmt.where(Brand.organisation_id == principal.organisation_id)
    if organisation_id is not None:
        stmt = stmt.where(Brand.organisation_id == organisation_id)
    with db.read() as session:
        return [
            describe_brand(brand, organisation_name)
            for brand, organisation_name in session.execute(stmt.order_by(Brand.code))
        ]


def describe_brand(brand: Brand, organisation_name: str) -> dict[str, Any]:
    return {field: getattr(brand, field) for field in ("id", *BRAND_FIELDS)} | {
        "organisation_name": organisation_name
    }


def create_brand(db: Database, principal: Principal, data: dict[str, Any]) -> dict[str, Any]:
    """Register a brand for an organisation; codes are unique across the province."""
    principal.require(Permission.REGISTRY_MANAGE)
    with db.transaction() as session:
        owner = session.get(Organisation, data["organisation_id"])
        if owner is None:
            raise UnknownOrganisation(f"organisation {data['organisation_id']} does not exist")
        _ensure_code_free(session, Brand, data["code"], BrandCodeTaken())
        brand = Brand(**data)
        session.add(brand)
        flush_or_conflict(session, BrandCodeTaken())
        audit.record(
            session,
            principal,
            "create",
            "brand",
            brand.id,
            audit.snapshot(brand, BRAND_FIELDS),
            organisation_id=owner.id,
        )
        return describe_brand(brand, owner.name)
