"""Reading issued labels back: the record, and what gets printed, for those allowed to see them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from label_service.issuance_views import fill_view, label_view
from label_service.render import PrintableLabel
from traceability.db import Database
from traceability.errors import NotFound
from traceability.labels.codec import label_url, parse_token
from traceability.localtime import local_day
from traceability.models import Cylinder, CylinderType, Facility, Fill, Label, SigningKey
from traceability.models.enums import Role
from traceability.permissions import Permission, Principal


class LabelNotFound(NotFound):
    code = "label_not_found"
    message_vi = "Không tìm thấy tem."
    message_en = "Label not found."


@dataclass(frozen=True)
class LabelRecord:
    """A label with what is needed to show, print and authorise it."""

    label: Label
    fill: Fill
    station: Facility
    owner_id: int
    nominal_kg: Decimal
    key: SigningKey
    superseded_by_uid: bytes | None


def parse_public_id(text: str) -> bytes:
    """Labels are addressed by the 16-hex public id of their 8-byte label_uid (not guessable)."""
    if len(text) != 16:
        raise LabelNotFound()
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise LabelNotFound() from None


def may_read(principal: Principal, record: LabelRecord) -> bool:
    """Authorities see all; a station its own labels; a trader its cylinders' and its stations'."""
    if principal.is_authority:
        return True
    if principal.role == Role.STATION:
        if principal.facility_id is not None:
            return record.station.id == principal.facility_id
        return record.station.organisation_id == principal.organisation_id
    if principal.role == Role.TRADER:
        return principal.organisation_id in (record.owner_id, record.station.organisation_id)
    return False


def _load(session: Session, uids: Sequence[bytes]) -> dict[bytes, LabelRecord]:
    newer = aliased(Label)
    rows = session.execute(
        select(
            Label,
            Fill,
            Facility,
            Cylinder.owner_id,
            CylinderType.nominal_kg,
            SigningKey,
            newer.label_uid,
        )
        .join(Fill, Fill.id == Label.fill_id)
        .join(Facility, Facility.id == Fill.station_id)
        .join(Cylinder, Cylinder.id == Label.cylinder_id)
        .join(CylinderType, CylinderType.id == Cylinder.type_id)
        .join(SigningKey, SigningKey.id == Label.signing_key_id)
        .outerjoin(newer, newer.id == Label.superseded_by_id)
        .where(Label.label_uid.in_(set(uids)))
    ).all()
    return {row[0].label_uid: LabelRecord(*row) for row in rows}


def read_labels(db: Database, principal: Principal, public_ids: Sequence[str]) -> list[LabelRecord]:
    """The labels in the order asked; any unknown or foreign one answers 404 (naming none)."""
    principal.require(Permission.LABEL_READ)
    uids = [parse_public_id(text) for text in public_ids]
    with db.read() as session:
        found = _load(session, uids)
        session.expunge_all()  # keep the loaded rows usable after the read session ends
    records = [found.get(uid) for uid in uids]
    missing = [
        pid
        for pid, rec in zip(public_ids, records, strict=True)
        if rec is None or not may_read(principal, rec)
    ]
    if missing:
        raise LabelNotFound(f"unknown labels: {', '.join(missing[:20])}")
    return [rec for rec in records if rec is not None]


def _kg(value: Decimal) -> str:
    return f"{value.normalize():f}"


def printable(record: LabelRecord, base_url: str) -> PrintableLabel:
    """What is printed comes from the signed token itself, so print and QR can never disagree."""
    claims = parse_token(record.label.token).claims
    return PrintableLabel(
        url=label_url(base_url, record.label.token),
        manual_code=label_view(record.label, base_url)["manual_code"],
        brand=claims.brand_code,
        serial=claims.serial,
        type_label=f"{_kg(record.nominal_kg)} kg",
        tare_kg=claims.tare_kg,
        net_kg=claims.net_kg,
        filled_on=local_day(claims.filled_at),
        inspection_due=claims.inspection_due,
        station=record.station.name,
    )


def label_record_view(record: LabelRecord, base_url: str) -> dict[str, Any]:
    """The label record: identity, links, signed fields, supersession, station and key."""
    claims = parse_token(record.label.token).claims
    return label_view(record.label, base_url, record.superseded_by_uid) | {
        "fill": fill_view(record.fill),
        "fields": {
            "serial": claims.serial,
            "brand_code": claims.brand_code,
            "type_code": claims.type_code,
            "tare_kg": str(claims.tare_kg),
            "net_kg": str(claims.net_kg),
            "inspection_due": claims.inspection_due.isoformat(),
            "filled_at": claims.filled_at.astimezone(dt.UTC).isoformat(),
        },
        "station": {"id": record.station.id, "name": record.station.name},
        "signing_key": {"kid": record.key.kid, "status": record.key.status},
    }
