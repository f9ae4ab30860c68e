"""Everything a batch of fills is checked against, loaded in a handful of queries up front."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from label_service.issuance_views import FillRequest
from label_service.keys import key_for_fill, station_keys
from traceability.models import (
    Brand,
    Cylinder,
    CylinderType,
    Facility,
    Fill,
    FillingContract,
    Label,
    Licence,
    Organisation,
    SigningKey,
)
from traceability.text import fold


def serial_key(brand_code: str, serial: str) -> tuple[str, str]:
    """How a cylinder named by brand + serial is matched: brand code upper-cased, serial folded."""
    return brand_code.strip().upper(), fold(serial.strip())


@dataclass
class FillContext:
    """Rows one batch needs; `current` tracks each cylinder's newest label as the batch proceeds."""

    station: Facility
    existing: dict[str, tuple[Fill, Label | None]] = field(default_factory=dict)
    by_id: dict[int, Cylinder] = field(default_factory=dict)
    by_serial: dict[tuple[str, str], Cylinder] = field(default_factory=dict)
    brand_codes: dict[int, str] = field(default_factory=dict)
    types: dict[int, CylinderType] = field(default_factory=dict)
    current: dict[int, tuple[Label, object]] = field(default_factory=dict)
    contracts: list[FillingContract] = field(default_factory=list)
    licences: list[Licence] = field(default_factory=list)
    active_orgs: set[int] = field(default_factory=set)
    keys: list[SigningKey] = field(default_factory=list)
    superseded_uids: dict[int, bytes] = field(default_factory=dict)
    key_by_time: dict[object, SigningKey | None] = field(default_factory=dict)

    def signing_key(self, filled_at: object) -> SigningKey | None:
        """The key for a fill time, chosen once per distinct time in the batch."""
        if filled_at not in self.key_by_time:
            self.key_by_time[filled_at] = key_for_fill(self.keys, filled_at)  # type: ignore[arg-type]
        return self.key_by_time[filled_at]

    def cylinder(self, request: FillRequest) -> Cylinder | None:
        if request.cylinder_id is not None:
            return self.by_id.get(request.cylinder_id)
        if request.brand_code and request.serial:
            return self.by_serial.get(serial_key(request.brand_code, request.serial))
        return None


def _lock_cylinders(session: Session, requests: Sequence[FillRequest], ctx: FillContext) -> None:
    """Cylinders of the batch, locked in id order so concurrent batches cannot race or deadlock."""
    ids = {r.cylinder_id for r in requests if r.cylinder_id is not None}
    pairs = {serial_key(r.brand_code, r.serial) for r in requests if r.brand_code and r.serial}
    conditions = []
    if ids:
        conditions.append(Cylinder.id.in_(ids))
    if pairs:
        brands = dict(
            session.execute(
                select(Brand.id, func.upper(Brand.code)).where(
                    func.upper(Brand.code).in_({code for code, _ in pairs})
                )
            ).all()
        )
        if brands:
            conditions.append(
                and_(
                    Cylinder.brand_id.in_(brands),
                    Cylinder.serial_search.in_({serial for _, serial in pairs}),
                )
            )
    if not conditions:
        return
    stmt = select(Cylinder).where(or_(*conditions)).order_by(Cylinder.id)
    for cylinder in session.scalars(stmt.with_for_update(of=Cylinder)):
        ctx.by_id[cylinder.id] = cylinder
    brand_codes = dict(
        session.execute(
            select(Brand.id, Brand.code).where(
                Brand.id.in_({c.brand_id for c in ctx.by_id.values()})
            )
        ).all()
    )
    ctx.brand_codes = brand_codes
    for cylinder in ctx.by_id.values():
        ctx.by_serial[serial_key(brand_codes[cylinder.brand_id], cylinder.serial_search)] = cylinder


def load_context(
    session: Session, station: Facility, requests: Sequence[FillRequest]
) -> FillContext:
    """Preload in a few IN queries: existing fills by UUID, cylinders, types, labels, rules data."""
    ctx = FillContext(station=station)
    uuids = {r.client_uuid for r in requests}
    for fill, label in session.execute(
        select(Fill, Label)
        .outerjoin(Label, Label.fill_id == Fill.id)
        .where(Fill.client_uuid.in_(uuids))
    ):
        ctx.existing[fill.client_uuid] = (fill, label)
    _lock_cylinders(session, requests, ctx)
    cylinders = list(ctx.by_id.values())
    type_ids = {c.type_id for c in cylinders}
    ctx.types = {
        t.id: t for t in session.scalars(select(CylinderType).where(CylinderType.id.in_(type_ids)))
    }
    label_ids = {c.current_label_id for c in cylinders if c.current_label_id is not None}
    for label, filled_at in session.execute(
        select(Label, Fill.filled_at)
        .join(Fill, Fill.id == Label.fill_id)
        .where(Label.id.in_(label_ids))
    ):
        ctx.current[label.cylinder_id] = (label, filled_at)
    ctx.contracts = list(
        session.scalars(select(FillingContract).where(FillingContract.station_id == station.id))
    )
    ctx.licences = list(
        session.scalars(select(Licence).where(Licence.organisation_id == station.organisation_id))
    )
    org_ids = {r.hiring_org_id for r in requests if r.hiring_org_id is not None}
    ctx.active_orgs = set(
        session.scalars(
            select(Organisation.id).where(Organisation.id.in_(org_ids), Organisation.active)
        )
    )
    ctx.keys = station_keys(session, station.id)
    superseding = {
        label.superseded_by_id
        for _, label in ctx.existing.values()
        if label and label.superseded_by_id
    }
    if superseding:
        ctx.superseded_uids = dict(
            session.execute(
                select(Label.id, Label.label_uid).where(Label.id.in_(superseding))
            ).all()
        )
    return ctx
