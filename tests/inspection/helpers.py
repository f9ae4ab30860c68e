"""Rows for inspection and statistics tests, written directly (not through the other services)."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import os
import uuid
from decimal import Decimal
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from traceability.labels.codec import LabelClaims, issue_token, manual_code
from traceability.ledger.chain import append
from traceability.models import (
    Anomaly,
    Brand,
    ConsumerReport,
    Cylinder,
    CylinderType,
    Facility,
    Fill,
    Label,
    LedgerEntry,
    Scan,
    SigningKey,
)
from traceability.models.enums import CaseStatus

_seq = itertools.count(1)
T0 = dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.UTC)


def at(hours: float) -> dt.datetime:
    """A fixed instant `hours` after T0, so orderings are known."""
    return T0 + dt.timedelta(hours=hours)


def signing_key(session: Session, station: Facility) -> tuple[SigningKey, Ed25519PrivateKey]:
    """The station's key row (one active per station); these tests never verify signatures."""
    private = Ed25519PrivateKey.generate()
    existing = session.scalar(select(SigningKey).where(SigningKey.station_id == station.id))
    if existing is not None:
        return existing, private
    raw = private.public_key().public_bytes_raw()
    key = SigningKey(
        kid=f"test-kid-{next(_seq)}",
        key_id=os.urandom(8),
        station_id=station.id,
        public_key=raw,
        sealed_private_key=b"not used in these tests",
        wrapped_data_key=b"not used",
    )
    session.add(key)
    session.flush()
    return key, private


def fill_and_label(
    session: Session,
    cylinder: Cylinder,
    station: Facility,
    filled_at: dt.datetime,
    key: tuple[SigningKey, Ed25519PrivateKey] | None = None,
) -> tuple[Fill, Label]:
    """A fill with its signed label; the cylinder's previous label becomes superseded."""
    signing, private = key or signing_key(session, station)
    fill = Fill(
        client_uuid=str(uuid.uuid4()),
        content_hash="0" * 64,
        station_id=station.id,
        cylinder_id=cylinder.id,
        owner_id=cylinder.owner_id,
        filled_at=filled_at,
        net_kg=Decimal("12.00"),
        recorded_at=filled_at,
    )
    session.add(fill)
    session.flush()
    brand = session.get(Brand, cylinder.brand_id)
    type_ = session.get(CylinderType, cylinder.type_id)
    label_uid = os.urandom(8)
    claims = LabelClaims(
        key_id=signing.key_id,
        label_id=label_uid,
        serial=cylinder.serial,
        brand_code=brand.code,
        type_code=type_.code,
        tare_kg=cylinder.tare_kg,
        net_kg=fill.net_kg,
        inspection_due=cylinder.inspection_due,
        filled_at=filled_at.replace(second=0, microsecond=0),
    )
    token = issue_token(claims, private.sign)
    label = Label(
        label_uid=label_uid,
        manual_code=manual_code(label_uid).replace("-", ""),  # stored compact
        fill_id=fill.id,
        cylinder_id=cylinder.id,
        signing_key_id=signing.id,
        token=token,
        issued_at=filled_at,
    )
    session.add(label)
    session.flush()
    if cylinder.current_label_id:
        previous = session.get(Label, cylinder.current_label_id)
        previous.superseded_at, previous.superseded_by_id = filled_at, label.id
    cylinder.current_label_id = label.id
    session.flush()
    return fill, label


def entry(cylinder: Cylinder, kind: str, when: dt.datetime, actor_org: int, **extra: Any):
    return LedgerEntry(
        entry_uuid=str(uuid.uuid4()),
        content_hash="0" * 64,
        kind=kind,
        cylinder_id=cylinder.id,
        occurred_at=when,
        recorded_at=when,
        actor_org_id=actor_org,
        **extra,
    )


def ledger(session: Session, entries: list[LedgerEntry]) -> list[LedgerEntry]:
    append(session, entries)
    return entries


def scans(session: Session, label: Label | None, verdict: str, when: dt.datetime, n: int = 1):
    for i in range(n):
        session.add(
            Scan(
                label_id=label.id if label else None,
                cylinder_id=label.cylinder_id if label else None,
                scanned_at=when + dt.timedelta(seconds=i),
                verdict=verdict,
                client_hash=f"{next(_seq):064d}",
                device_class="mobile",
            )
        )
    session.flush()


def report(session: Session, cylinder: Cylinder | None, when: dt.datetime, **extra: Any):
    item = ConsumerReport(
        cylinder_id=cylinder.id if cylinder else None,
        reason=extra.pop("reason", "seal_broken"),
        client_hash="c" * 64,
        created_at=when,
        status=extra.pop("status", CaseStatus.OPEN),
        **extra,
    )
    session.add(item)
    session.flush()
    return item


def anomaly(session: Session, cylinder: Cylinder | None, when: dt.datetime, **extra: Any):
    item = Anomaly(
        kind=extra.pop("kind", "out_of_order"),
        cylinder_id=cylinder.id if cylinder else None,
        created_at=when,
        detail=extra.pop("detail", {}),
        status=extra.pop("status", CaseStatus.OPEN),
        **extra,
    )
    session.add(item)
    session.flush()
    return item


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (64, 48), **save: Any) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format=fmt, **save)
    return out.getvalue()
