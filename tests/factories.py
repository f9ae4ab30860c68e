"""Test data builders: each returns a persisted entity with sensible, overridable defaults."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from traceability.models import (
    AdminUnit,
    AuthSession,
    Brand,
    Cylinder,
    CylinderType,
    Facility,
    FillingContract,
    Licence,
    Organisation,
    User,
)
from traceability.models.enums import CylinderStatus, FacilityKind, Role, TradeRole
from traceability.passwords import HASHER
from traceability.text import fold

PASSWORD = "correct horse battery staple"
_seq = itertools.count(1)


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


@cache
def password_hash() -> str:
    """One real argon2id hash reused by every test user, so tests do not pay for hashing."""
    return HASHER.hash(PASSWORD)


def admin_unit(
    session: Session,
    name: str = "Tỉnh Đồng Nai",
    level: str = "province",
    parent: AdminUnit | None = None,
    code: str | None = None,
) -> AdminUnit:
    unit = AdminUnit(
        code=code or f"AU{next(_seq)}",
        name=name,
        name_search=fold(name),
        level=level,
        parent_id=parent.id if parent else None,
    )
    session.add(unit)
    session.flush()
    return unit


def organisation(
    session: Session,
    name: str | None = None,
    *,
    roles: list[str] | None = None,
    tax_code: str | None = None,
    address: str | None = None,
    is_authority: bool = False,
    licensed: bool = True,
) -> Organisation:
    n = next(_seq)
    name = name or f"Công ty TNHH Gas Thử Nghiệm {n}"
    org = Organisation(
        name=name,
        name_search=fold(name),
        tax_code=tax_code or f"36{n:08d}",
        trade_roles=roles or [TradeRole.CYLINDER_OWNER, TradeRole.STATION_OWNER],
        address=address or f"Số {n}, phường Tân Hiệp, thành phố Biên Hòa, tỉnh Đồng Nai",
        is_authority=is_authority,
    )
    session.add(org)
    session.flush()
    if licensed and not is_authority:
        licence(session, org)
    return org


def licence(
    session: Session,
    org: Organisation,
    *,
    expires_on: dt.date | None = None,
    status: str = "valid",
    facility: Facility | None = None,
) -> Licence:
    lic = Licence(
        organisation_id=org.id,
        facility_id=facility.id if facility else None,
        number=f"GCN-{next(_seq)}/SCT",
        kind="LPG trader",
        issuer="Sở Công Thương Đồng Nai",
        issued_on=today() - dt.timedelta(days=365),
        expires_on=expires_on or today() + dt.timedelta(days=3 * 365),
        status=status,
    )
    session.add(lic)
    session.flush()
    return lic


def brand(
    session: Session, org: Organisation, code: str | None = None, name: str | None = None
) -> Brand:
    code = code or f"B{next(_seq)}"
    item = Brand(organisation_id=org.id, code=code, name=name or f"{code} Gas")
    session.add(item)
    session.flush()
    return item


def facility(
    session: Session,
    org: Organisation,
    kind: str = FacilityKind.FILLING_STATION,
    name: str | None = None,
    address: str | None = None,
) -> Facility:
    n = next(_seq)
    name = name or f"Trạm chiết nạp số {n}"
    item = Facility(
        organisation_id=org.id,
        kind=kind,
        code=f"F{n:05d}",
        name=name,
        name_search=fold(name),
        address=address or f"Ấp {n}, xã Phước Tân, Biên Hòa",
    )
    session.add(item)
    session.flush()
    return item


def cylinder_type(session: Session, code: str = "12", nominal: str = "12") -> CylinderType:
    existing = session.scalar(select(CylinderType).where(CylinderType.code == code))
    if existing:
        return existing
    item = CylinderType(
        code=code,
        name=f"Bình {nominal} kg",
        nominal_kg=Decimal(nominal),
        water_capacity_l=Decimal(nominal) * Decimal("2.4"),
        standard="TCVN 6292",
    )
    session.add(item)
    session.flush()
    return item


def cylinder(
    session: Session,
    owner: Organisation,
    brand_: Brand,
    type_: CylinderType | None = None,
    *,
    serial: str | None = None,
    tare_kg: str = "14.20",
    inspection_due: dt.date | None = None,
    status: str = CylinderStatus.IN_SERVICE,
    **extra: Any,
) -> Cylinder:
    type_ = type_ or cylinder_type(session)
    serial = serial or f"SN{next(_seq):07d}"
    item = Cylinder(
        owner_id=owner.id,
        brand_id=brand_.id,
        serial=serial,
        serial_search=fold(serial),
        type_id=type_.id,
        manufacturer="Gas Việt",
        manufactured_on=today() - dt.timedelta(days=900),
        tare_kg=Decimal(tare_kg),
        last_inspected_on=today() - dt.timedelta(days=400),
        inspection_due=inspection_due or today() + dt.timedelta(days=700),
        status=status,
        holder_org_id=owner.id,
        **extra,
    )
    session.add(item)
    session.flush()
    return item


def contract(
    session: Session,
    owner: Organisation,
    station: Facility,
    *,
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
) -> FillingContract:
    item = FillingContract(
        owner_id=owner.id,
        station_id=station.id,
        valid_from=valid_from or today() - dt.timedelta(days=30),
        valid_to=valid_to or today() + dt.timedelta(days=335),
    )
    session.add(item)
    session.flush()
    return item


def user(
    session: Session,
    org: Organisation,
    role: str,
    *,
    facility_: Facility | None = None,
    username: str | None = None,
    active: bool = True,
) -> User:
    item = User(
        username=username or f"{role}{next(_seq)}",
        password_hash=password_hash(),
        display_name=f"Người dùng {role}",
        email=None,
        role=role,
        organisation_id=org.id,
        facility_id=facility_.id if facility_ else None,
        active=active,
    )
    session.add(item)
    session.flush()
    return item


def login_session(session: Session, account: User) -> str:
    """Open a login session directly (no password hashing) and return its id."""
    sid = uuid.uuid4().hex
    session.add(AuthSession(id=sid, user_id=account.id))
    session.flush()
    return sid


__all__ = ["PASSWORD", "Role"]
