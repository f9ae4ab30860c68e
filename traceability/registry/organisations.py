"""Organisations (gas traders) and their licences ("Giấy chứng nhận đủ điều kiện").

`licence_in_force` is the rule later checks read (a station whose licence expired may not fill):
a facility-specific licence, when the facility has any, governs; otherwise the organisation's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import String, cast, select
from sqlalchemy.orm import Session, selectinload

from traceability import audit
from traceability.db import Database, utcnow
from traceability.errors import Conflict, NotFound, ValidationFailed
from traceability.models import Facility, Licence, Organisation
from traceability.models.enums import LicenceStatus
from traceability.paging import Page
from traceability.permissions import Permission, Principal
from traceability.registry import (
    ensure_period,
    etag,
    flush_or_conflict,
    province_today,
    search_text,
)
from traceability.registry.reference import ensure_admin_unit
from traceability.registry.search import paginate, text_filter

ORG_FIELDS = (
    "name",
    "short_name",
    "tax_code",
    "trade_roles",
    "address",
    "admin_unit_id",
    "active",
)
LICENCE_FIELDS = (
    "organisation_id",
    "facility_id",
    "number",
    "kind",
    "issuer",
    "issued_on",
    "expires_on",
    "status",
)


class TaxCodeTaken(Conflict):
    code = "tax_code_taken"
    message_vi = "Mã số thuế đã được đăng ký cho tổ chức khác."
    message_en = "This tax code is already registered to another organisation."


class LicenceNumberTaken(Conflict):
    code = "licence_number_taken"
    message_vi = "Số giấy chứng nhận này của cơ quan cấp đã được đăng ký."
    message_en = "This licence number from this issuer is already registered."


class LicenceRevokedIsFinal(Conflict):
    code = "licence_revoked_final"
    message_vi = "Giấy chứng nhận đã bị thu hồi; hãy đăng ký giấy mới."
    message_en = "A revoked licence cannot be changed; register a new licence."


class LicenceFacilityMismatch(ValidationFailed):
    code = "licence_facility_mismatch"
    message_vi = "Cơ sở không thuộc tổ chức này."
    message_en = "The facility does not belong to this organisation."


class ReasonRequired(ValidationFailed):
    code = "reason_required"
    message_vi = "Cần nêu lý do đình chỉ hoặc thu hồi."
    message_en = "A reason is required to suspend or revoke a licence."


def organisation_search_text(org: Organisation) -> str:
    return search_text(org.name, org.short_name, org.tax_code, org.address)


# --- licences: the rule other modules read ----------------------------------------------------


def licence_state(licence: Licence, day: dt.date) -> str:
    """One licence's standing on a day: valid, expired, suspended, revoked or not_yet_valid."""
    if licence.status in (LicenceStatus.REVOKED, LicenceStatus.SUSPENDED):
        return str(licence.status)
    if licence.expires_on < day:
        return "expired"
    if licence.issued_on > day:
        return "not_yet_valid"
    return "valid"


def licence_status(licences: Iterable[Licence], day: dt.date) -> str:
    """The holder's standing: valid if any licence is in force, else the newest licence's state."""
    held = list(licences)
    if not held:
        return "none"
    if any(licence.in_force_on(day) for licence in held):
        return "valid"
    newest = max(held, key=lambda lic: (lic.issued_on <= day, lic.expires_on, lic.id))
    return licence_state(newest, day)


def governing_licences(
    licences: Iterable[Licence], facility_id: int | None = None
) -> list[Licence]:
    """The facility's own licences when it has any, else the organisation-wide ones."""
    held = list(licences)
    if facility_id is not None:
        own = [licence for licence in held if licence.facility_id == facility_id]
        if own:
            return own
    return [licence for licence in held if licence.facility_id is None]


def licence_in_force(
    session: Session, organisation_id: int, day: dt.date, facility_id: int | None = None
) -> bool:
    """Whether the organisation (at that facility, if given) holds a licence in force that day."""
    org = session.get(Organisation, organisation_id)
    if org is None or not org.active:
        return False
    held = session.scalars(select(Licence).where(Licence.organisation_id == organisation_id))
    return any(licence.in_force_on(day) for licence in governing_licences(held, facility_id))


# --- representations --------------------------------------------------------------------------


def describe_licence(licence: Licence, day: dt.date | None = None) -> dict[str, Any]:
    day = day or province_today()
    return {field: getattr(licence, field) for field in ("id", *LICENCE_FIELDS)} | {
        "revoked_at": licence.revoked_at,
        "status_reason": licence.status_reason,
        "state": licence_state(licence, day),
    }


def describe_organisation(org: Organisation) -> dict[str, Any]:
    """The representation every endpoint returns, with licences and computed standing."""
    day = province_today()
    own = governing_licences(org.licences)
    return {field: getattr(org, field) for field in ("id", *ORG_FIELDS)} | {
        "is_authority": org.is_authority,
        "created_at": org.created_at,
        "version": org.version,
        "licences": [describe_licence(licence, day) for licence in org.licences],
        "licence_status": licence_status(own, day),
        "licensed_today": org.active and any(licence.in_force_on(day) for licence in own),
    }


# --- services ---------------------------------------------------------------------------------


def _visible(session: Session, principal: Principal, org_id: int) -> Organisation:
    org = session.get(Organisation, org_id, options=[selectinload(Organisation.licences)])
    if org is None:
        raise NotFound("organisation not found")
    principal.ensure_read_org(org.id, "organisation")
    return org


def list_organisations(
    db: Database,
    principal: Principal,
    *,
    page: int = 1,
    per_page: int = 50,
    q: str | None = None,
    trade_role: str | None = None,
    admin_unit_id: int | None = None,
    active: bool | None = None,
) -> Page:
    """Organisations by name; traders, stations and shops see only their own."""
    principal.require(Permission.REGISTRY_READ)
    stmt = (
        select(Organisation)
        .options(selectinload(Organisation.licences))
        .where(*text_filter(Organisation.name_search, q, Organisation.tax_code))
    )
    if not principal.is_authority:
        stmt = stmt.where(Organisation.id == principal.organisation_id)
    if trade_role:
        # trade_roles is a JSON list of closed-vocabulary words: match the quoted word in its text.
        stmt = stmt.where(cast(Organisation.trade_roles, String).like(f'%"{trade_role}"%'))
    if admin_unit_id is not None:
        stmt = stmt.where(Organisation.admin_unit_id == admin_unit_id)
    if active is not None:
        stmt = stmt.where(Organisation.active.is_(active))
    stmt = stmt.order_by(Organisation.name_search, Organisation.id)
    with db.read() as session:
        return paginate(session, stmt, page, per_page, describe_organisation)


def get_organisation(db: Database, principal: Principal, org_id: int) -> dict[str, Any]:
    principal.require(Permission.REGISTRY_READ)
    with db.read() as session:
        return describe_organisation(_visible(session, principal, org_id))


def _ensure_tax_code_free(session: Session, tax_code: str | None, org_id: int | None) -> None:
    if tax_code is None:
        return
    holder = session.scalar(select(Organisation.id).where(Organisation.tax_code == tax_code))
    if holder is not None and holder != org_id:
        raise TaxCodeTaken(f"tax code {tax_code} is registered")


def create_organisation(db: Database, principal: Principal, data: dict[str, Any]) -> dict[str, Any]:
    """Register a trader in the province's registry."""
    principal.require(Permission.REGISTRY_MANAGE)
    with db.transaction() as session:
        _ensure_tax_code_free(session, data.get("tax_code"), None)
        ensure_admin_unit(session, data.get("admin_unit_id"))
        org = Organisation(**data, licences=[])
        org.name_search = organisation_search_text(org)
        session.add(org)
        flush_or_conflict(session, TaxCodeTaken())
        audit.record(
            session,
            principal,
            "create",
            "organisation",
            org.id,
            audit.snapshot(org, data.keys()),
            organisation_id=org.id,
        )
        return describe_organisation(org)


def update_organisation(
    db: Database,
    principal: Principal,
    org_id: int,
    data: dict[str, Any],
    accepted_versions: frozenset[int],
) -> dict[str, Any]:
    """Change an organisation's master data, refusing a change based on a stale read (412)."""
    principal.require(Permission.REGISTRY_MANAGE)
    with db.transaction() as session:
        org = etag.load_for_update(session, Organisation, org_id, "organisation")
        etag.ensure_current(org, accepted_versions)
        if "tax_code" in data:
            _ensure_tax_code_free(session, data["tax_code"], org.id)
        if data.get("admin_unit_id") not in (None, org.admin_unit_id):
            ensure_admin_unit(session, data["admin_unit_id"])
        changed = audit.apply_changes(org, data)
        org.name_search = organisation_search_text(org)
        etag.bump(org, changed)
        flush_or_conflict(session, TaxCodeTaken())
        if changed:
            audit.record(
                session,
                principal,
                "update",
                "organisation",
                org.id,
                changed,
                organisation_id=org.id,
            )
        return describe_organisation(org)


def list_licences(db: Database, principal: Principal, org_id: int) -> list[dict[str, Any]]:
    principal.require(Permission.REGISTRY_READ)
    with db.read() as session:
        org = _visible(session, principal, org_id)
        day = province_today()
        return [describe_licence(licence, day) for licence in org.licences]


def add_licence(
    db: Database, principal: Principal, org_id: int, data: dict[str, Any]
) -> dict[str, Any]:
    """Record a licence the department issued to an organisation (or to one of its facilities)."""
    principal.require(Permission.REGISTRY_MANAGE)
    ensure_period(data["issued_on"], data["expires_on"])
    with db.transaction() as session:
        org = _visible(session, principal, org_id)
        facility_id = data.get("facility_id")
        if facility_id is not None:
            facility = session.get(Facility, facility_id)
            if facility is None or facility.organisation_id != org.id:
                raise LicenceFacilityMismatch(f"facility {facility_id} is not {org.name}'s")
        duplicate = session.scalar(
            select(Licence.id).where(
                Licence.number == data["number"], Licence.issuer == data["issuer"]
            )
        )
        if duplicate is not None:
            raise LicenceNumberTaken(f"{data['number']} ({data['issuer']})")
        licence = Licence(**data, organisation_id=org.id, status=LicenceStatus.VALID)
        session.add(licence)
        session.flush()
        audit.record(
            session,
            principal,
            "create",
            "licence",
            licence.id,
            audit.snapshot(licence, LICENCE_FIELDS),
            organisation_id=org.id,
        )
        return describe_licence(licence)


def change_licence(
    db: Database, principal: Principal, licence_id: int, data: dict[str, Any]
) -> dict[str, Any]:
    """Suspend, reinstate or revoke a licence (with a reason), or correct its expiry."""
    principal.require(Permission.REGISTRY_MANAGE)
    with db.transaction() as session:
        licence = session.get(Licence, licence_id, with_for_update=True)
        if licence is None:
            raise NotFound("licence not found")
        if licence.status == LicenceStatus.REVOKED:
            raise LicenceRevokedIsFinal(f"licence {licence.number} was revoked")
        status = data.get("status", licence.status)
        reason = data.pop("reason", None)
        if status != licence.status and status != LicenceStatus.VALID and not reason:
            raise ReasonRequired()
        ensure_period(licence.issued_on, data.get("expires_on", licence.expires_on))
        values = dict(data)
        if status != licence.status:
            withdrawn = status != LicenceStatus.VALID
            values["revoked_at"] = utcnow() if withdrawn else None
            values["status_reason"] = reason if withdrawn else None
        changed = audit.apply_changes(licence, values)
        if changed:
            action = {"suspended": "suspend", "revoked": "revoke", "valid": "reinstate"}
            audit.record(
                session,
                principal,
                action[status] if "status" in changed else "update",
                "licence",
                licence.id,
                changed | ({"reason": reason} if reason else {}),
                organisation_id=licence.organisation_id,
            )
        return describe_licence(licence)
