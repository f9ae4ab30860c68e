"""Facilities: filling stations, retail shops, depots and warehouses, each of one organisation."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from traceability import audit
from traceability.db import Database
from traceability.errors import Conflict, NotFound
from traceability.models import Facility, Licence, Organisation
from traceability.paging import Page
from traceability.permissions import Permission, Principal
from traceability.registry import etag, flush_or_conflict, province_today, search_text
from traceability.registry.organisations import governing_licences, licence_status
from traceability.registry.reference import UnknownOrganisation, ensure_admin_unit
from traceability.registry.search import paginate, text_filter

FACILITY_FIELDS = (
    "organisation_id",
    "kind",
    "code",
    "name",
    "address",
    "admin_unit_id",
    "active",
)


class FacilityCodeTaken(Conflict):
    code = "facility_code_taken"
    message_vi = "Mã cơ sở đã tồn tại."
    message_en = "A facility with this code already exists."


def facility_search_text(item: Facility) -> str:
    return search_text(item.name, item.code, item.address)


def describe_facility(
    item: Facility, organisation: Organisation, licences: list[Licence]
) -> dict[str, Any]:
    """A facility with its organisation's name and the licence standing that governs it."""
    day = province_today()
    governing = governing_licences(licences, item.id)
    return {field: getattr(item, field) for field in ("id", *FACILITY_FIELDS)} | {
        "organisation_name": organisation.name,
        "created_at": item.created_at,
        "version": item.version,
        "licence_status": licence_status(governing, day),
        "licensed_today": item.active
        and organisation.active
        and any(licence.in_force_on(day) for licence in governing),
    }


def _describe(session: Session, item: Facility) -> dict[str, Any]:
    licences = list(
        session.scalars(select(Licence).where(Licence.organisation_id == item.organisation_id))
    )
    return describe_facility(item, item.organisation, licences)


def _describe_page(session: Session, items: list[Facility]) -> list[dict[str, Any]]:
    """Describe many facilities with one licence query instead of one per row."""
    org_ids = {item.organisation_id for item in items}
    by_org: dict[int, list[Licence]] = {org_id: [] for org_id in org_ids}
    for licence in session.scalars(select(Licence).where(Licence.organisation_id.in_(org_ids))):
        by_org[licence.organisation_id].append(licence)
    return [
        describe_facility(item, item.organisation, by_org[item.organisation_id]) for item in items
    ]


def list_facilities(
    db: Database,
    principal: Principal,
    *,
    page: int = 1,
    per_page: int = 50,
    kind: str | None = None,
    organisation_id: int | None = None,
    admin_unit_id: int | None = None,
    q: str | None = None,
    active: bool | None = None,
) -> Page:
    """Facilities by kind, owner, place and name; non-authorities see their organisation's."""
    principal.require(Permission.REGISTRY_READ)
    stmt = (
        select(Facility)
        .options(selectinload(Facility.organisation))
        .where(*text_filter(Facility.name_search, q, Facility.code))
    )
    if not principal.is_authority:
        stmt = stmt.where(Facility.organisation_id == principal.organisation_id)
    if kind:
        stmt = stmt.where(Facility.kind == kind)
    if organisation_id is not None:
        stmt = stmt.where(Facility.organisation_id == organisation_id)
    if admin_unit_id is not None:
        stmt = stmt.where(Facility.admin_unit_id == admin_unit_id)
    if active is not None:
        stmt = stmt.where(Facility.active.is_(active))
    stmt = stmt.order_by(Facility.code, Facility.id)
    with db.read() as session:
        result = paginate(session, stmt, page, per_page)
        return Page(_describe_page(session, result.items), page, per_page, result.total)


def get_facility(db: Database, principal: Principal, facility_id: int) -> dict[str, Any]:
    principal.require(Permission.REGISTRY_READ)
    with db.read() as session:
        item = session.get(Facility, facility_id)
        if item is None:
            raise NotFound("facility not found")
        principal.ensure_read_org(item.organisation_id, "facility")
        return _describe(session, item)


def _ensure_code_free(session: Session, code: str, facility_id: int | None) -> None:
    holder = session.scalar(select(Facility.id).where(Facility.code == code))
    if holder is not None and holder != facility_id:
        raise FacilityCodeTaken(f"facility code {code} is taken")


def create_facility(db: Database, principal: Principal, data: dict[str, Any]) -> dict[str, Any]:
    """Register a station, shop, depot or warehouse of an organisation."""
    principal.require(Permission.REGISTRY_MANAGE)
    with db.transaction() as session:
        if session.get(Organisation, data["organisation_id"]) is None:
            raise UnknownOrganisation(f"organisation {data['organisation_id']} does not exist")
        _ensure_code_free(session, data["code"], None)
        ensure_admin_unit(session, data.get("admin_unit_id"))
        item = Facility(**data)
        item.name_search = facility_search_text(item)
        session.add(item)
        flush_or_conflict(session, FacilityCodeTaken())
        audit.record(
            session,
            principal,
            "create",
            "facility",
            item.id,
            audit.snapshot(item, data.keys()),
            organisation_id=item.organisation_id,
        )
        return _describe(session, item)


def update_facility(
    db: Database,
    principal: Principal,
    facility_id: int,
    data: dict[str, Any],
    accepted_versions: frozenset[int],
) -> dict[str, Any]:
    """Change a facility's name, code, address, place or activity, refusing stale reads (412)."""
    principal.require(Permission.REGISTRY_MANAGE)
    with db.transaction() as session:
        item = etag.load_for_update(session, Facility, facility_id, "facility")
        principal.ensure_write_org(item.organisation_id, "facility")
        etag.ensure_current(item, accepted_versions)
        if "code" in data:
            _ensure_code_free(session, data["code"], item.id)
        if data.get("admin_unit_id") not in (None, item.admin_unit_id):
            ensure_admin_unit(session, data["admin_unit_id"])
        changed = audit.apply_changes(item, data)
        item.name_search = facility_search_text(item)
        etag.bump(item, changed)
        flush_or_conflict(session, FacilityCodeTaken())
        if changed:
            audit.record(
                session,
                principal,
                "update",
                "facility",
                item.id,
                changed,
                organisation_id=item.organisation_id,
            )
        return _describe(session, item)
