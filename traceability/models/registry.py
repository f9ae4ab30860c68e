"""The department's master data: places, organisations, licences, facilities, cylinders."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Numeric, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from traceability.db import (
    Base,
    intpk,
    kg,
    str16,
    str32,
    str64,
    str128,
    str255,
    str512,
    utc,
    utcnow,
)
from traceability.models.enums import ContractStatus, CylinderStatus, LicenceStatus


class AdminUnit(Base):
    """A node of the administrative hierarchy (province, district, commune…), valid for a period.

    Levels are data, not code, so a reform adds units and closes old ones instead of a migration.
    """

    __tablename__ = "admin_units"

    id: Mapped[intpk]
    code: Mapped[str32] = mapped_column(unique=True)
    name: Mapped[str255]
    name_search: Mapped[str255] = mapped_column(index=True)
    level: Mapped[str32]
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("admin_units.id"), index=True)
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)

    parent: Mapped[AdminUnit | None] = relationship(remote_side="AdminUnit.id")


class Organisation(Base):
    """A licensed gas trader (or the department itself), the unit of data separation."""

    __tablename__ = "organisations"

    id: Mapped[intpk]
    name: Mapped[str255]
    short_name: Mapped[str128 | None]
    name_search: Mapped[str512] = mapped_column(index=True)
    tax_code: Mapped[str32 | None] = mapped_column(unique=True)
    trade_roles: Mapped[list[str]] = mapped_column(default=list)
    address: Mapped[str512 | None]
    admin_unit_id: Mapped[int | None] = mapped_column(ForeignKey("admin_units.id"), index=True)
    is_authority: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[utc] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    licences: Mapped[list[Licence]] = relationship(back_populates="organisation")
    brands: Mapped[list[Brand]] = relationship(back_populates="organisation")


class Licence(Base):
    """A certificate of eligibility ("Giấy chứng nhận đủ điều kiện") held by an organisation."""

    __tablename__ = "licences"

    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id"), index=True)
    number: Mapped[str64]
    kind: Mapped[str64]
    issuer: Mapped[str255]
    issued_on: Mapped[dt.date] = mapped_column(Date)
    expires_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(default=LicenceStatus.VALID)
    revoked_at: Mapped[utc | None]
    # Why the department suspended or revoked it (shown to inspectors and the holder).
    status_reason: Mapped[str255 | None]

    organisation: Mapped[Organisation] = relationship(back_populates="licences")

    def in_force_on(self, day: dt.date) -> bool:
        """Whether the licence lets its holder operate on that day."""
        return self.status == LicenceStatus.VALID and self.issued_on <= day <= self.expires_on


class Brand(Base):
    """A trade mark painted on cylinders; an organisation may own several."""

    __tablename__ = "brands"

    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    code: Mapped[str32] = mapped_column(unique=True)
    name: Mapped[str128]

    organisation: Mapped[Organisation] = relationship(back_populates="brands")


class Facility(Base):
    """A place where cylinders are filled, stored or sold."""

    __tablename__ = "facilities"

    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    kind: Mapped[str32] = mapped_column(index=True)
    code: Mapped[str32] = mapped_column(unique=True)
    name: Mapped[str255]
    name_search: Mapped[str512] = mapped_column(index=True)
    address: Mapped[str512 | None]
    admin_unit_id: Mapped[int | None] = mapped_column(ForeignKey("admin_units.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[utc] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    organisation: Mapped[Organisation] = relationship()


class CylinderType(Base):
    """A cylinder model by nominal LPG mass (6, 12, 13, 45, 48 kg…)."""

    __tablename__ = "cylinder_types"

    id: Mapped[intpk]
    code: Mapped[str16] = mapped_column(unique=True)
    name: Mapped[str128]
    nominal_kg: Mapped[kg]
    water_capacity_l: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    standard: Mapped[str128 | None]


class Cylinder(Base):
    """One physical cylinder, identified by its owner and the serial stamped on its collar."""

    __tablename__ = "cylinders"
    __table_args__ = (UniqueConstraint("owner_id", "serial", name="uq_cylinders_owner_serial"),)

    id: Mapped[intpk]
    owner_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), index=True)
    serial: Mapped[str64]
    serial_search: Mapped[str64] = mapped_column(index=True)
    type_id: Mapped[int] = mapped_column(ForeignKey("cylinder_types.id"))
    manufacturer: Mapped[str128 | None]
    manufactured_on: Mapped[dt.date | None] = mapped_column(Date)
    tare_kg: Mapped[kg]
    last_inspected_on: Mapped[dt.date | None] = mapped_column(Date)
    inspection_due: Mapped[dt.date] = mapped_column(Date, index=True)
    status: Mapped[str32] = mapped_column(default=CylinderStatus.IN_SERVICE, index=True)
    holder_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    holder_facility_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id"), index=True)
    # Denormalised pointer to the newest label (no FK: labels reference cylinders already).
    current_label_id: Mapped[int | None] = mapped_column(index=True)
    created_at: Mapped[utc] = mapped_column(default=utcnow)
    updated_at: Mapped[utc] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    owner: Mapped[Organisation] = relationship(foreign_keys=[owner_id])
    brand: Mapped[Brand] = relationship()
    type: Mapped[CylinderType] = relationship()


Index("ix_cylinders_owner_status", Cylinder.owner_id, Cylinder.status)
# Serials are unique per owner ignoring case and accents too, so "dp-01" cannot shadow "DP-01".
Index("uq_cylinders_owner_serial_search", Cylinder.owner_id, Cylinder.serial_search, unique=True)


class FillingContract(Base):
    """A cylinder owner's authorisation for another organisation's station to fill its cylinders."""

    __tablename__ = "filling_contracts"

    id: Mapped[intpk]
    owner_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str16] = mapped_column(default=ContractStatus.ACTIVE)
    reference: Mapped[str64 | None]
    created_at: Mapped[utc] = mapped_column(default=utcnow)

    def in_force_on(self, day: dt.date) -> bool:
        return self.status == ContractStatus.ACTIVE and self.valid_from <= day <= self.valid_to
