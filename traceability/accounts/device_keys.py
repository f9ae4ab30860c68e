"""API keys for station scales and shop scanners: one facility each, shown once, revocable."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from traceability import audit
from traceability.auth import create_device_key
from traceability.db import Database, utcnow
from traceability.errors import NotFound, ValidationFailed
from traceability.models import DeviceKey, Facility
from traceability.models.enums import FacilityKind, Role
from traceability.permissions import Principal
from traceability.registry.search import Page, paginate

ROLE_OF_FACILITY = {FacilityKind.FILLING_STATION: Role.STATION, FacilityKind.RETAIL_SHOP: Role.SHOP}


class FacilityHasNoDevices(ValidationFailed):
    code = "facility_kind_without_devices"
    message_vi = "Chỉ trạm chiết nạp và cửa hàng bán lẻ mới được cấp khoá thiết bị."
    message_en = "Only filling stations and retail shops get device keys."


def describe_key(key: DeviceKey) -> dict[str, Any]:
    """A key's public facts; the secret is never stored, only its hash, and never shown again."""
    return {
        "id": key.id,
        "prefix": key.prefix,
        "name": key.name,
        "role": key.role,
        "organisation_id": key.organisation_id,
        "facility_id": key.facility_id,
        "created_by_id": key.created_by_id,
        "created_at": key.created_at,
        "last_used_at": key.last_used_at,
        "revoked": key.revoked_at is not None,
        "revoked_at": key.revoked_at,
    }


def issue_key(db: Database, principal: Principal, name: str, facility_id: int) -> dict[str, Any]:
    """A new key for one facility; its role follows the facility (station or shop)."""
    with db.transaction() as session:
        facility = session.get(Facility, facility_id)
        if facility is None:
            raise NotFound("facility not found")
        principal.ensure_write_org(facility.organisation_id, "facility")
        role = ROLE_OF_FACILITY.get(facility.kind)  # type: ignore[call-overload]
        if role is None:
            raise FacilityHasNoDevices(f"facility kind {facility.kind}")
        key, secret = create_device_key(
            session,
            name=name,
            role=role,
            organisation_id=facility.organisation_id,
            facility_id=facility.id,
            created_by=principal.user_id,
        )
        audit.record(
            session,
            principal,
            "create",
            "device_key",
            key.id,
            audit.snapshot(key, ("prefix", "name", "role", "facility_id")),
            organisation_id=key.organisation_id,
        )
        return {**describe_key(key), "key": secret}


def list_keys(
    db: Database,
    principal: Principal,
    *,
    page: int = 1,
    per_page: int = 50,
    organisation_id: int | None = None,
    facility_id: int | None = None,
    revoked: bool | None = None,
) -> Page:
    """Keys of the caller's organisation (all organisations for an administrator)."""
    stmt = select(DeviceKey)
    if not principal.is_authority:
        stmt = stmt.where(DeviceKey.organisation_id == principal.organisation_id)
    if organisation_id is not None:
        stmt = stmt.where(DeviceKey.organisation_id == organisation_id)
    if facility_id is not None:
        stmt = stmt.where(DeviceKey.facility_id == facility_id)
    if revoked is not None:
        column = DeviceKey.revoked_at
        stmt = stmt.where(column.is_not(None) if revoked else column.is_(None))
    with db.read() as session:
        return paginate(session, stmt.order_by(DeviceKey.id.desc()), page, per_page, describe_key)


def revoke_key(db: Database, principal: Principal, key_id: int) -> dict[str, Any]:
    """Stop a key at once (lost or replaced device); revoking twice changes nothing."""
    with db.transaction() as session:
        key = session.get(DeviceKey, key_id, with_for_update=True)
        if key is None:
            raise NotFound("device key not found")
        principal.ensure_write_org(key.organisation_id, "device key")
        if key.revoked_at is None:
            key.revoked_at = utcnow()
            audit.record(
                session,
                principal,
                "revoke",
                "device_key",
                key.id,
                {"revoked_at": {"old": None, "new": key.revoked_at}},
                organisation_id=key.organisation_id,
            )
        return describe_key(key)
