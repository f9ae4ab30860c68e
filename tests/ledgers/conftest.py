"""A month of custody for the ledger tests, built directly: fills, entries (through the chain)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from tests import factories as f
from traceability.crypto import Keyring
from traceability.db import Database
from traceability.ledger import chain
from traceability.ledger.personal import seal
from traceability.models import Cylinder, Facility, Fill, LedgerEntry, Organisation
from traceability.models.enums import FacilityKind, Role, TradeRole

NOV = dt.date(2026, 11, 1)
PERIOD = {"from": "2026-11-01", "to": "2026-11-30"}
CUSTOMER = {
    "customer_name": "Nguyễn Thị Hằng",
    "customer_address": "12 Phạm Văn Thuận, phường Tân Mai, Biên Hòa",
    "customer_phone": "0912345678",
}
CUSTOMER_2 = {"customer_name": "Trần Văn Đức", "customer_address": "Ấp 3, xã Hóa An"}


def utc(day: int, hour: int, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=dt.UTC)


def add_fill(
    session: Session,
    station: Facility,
    cylinder: Cylinder,
    at: dt.datetime,
    *,
    hiring: Organisation | None = None,
    dispatched_at: dt.datetime | None = None,
) -> Fill:
    fill = Fill(
        client_uuid=uuid.uuid4().hex,
        content_hash=hashlib.sha256(uuid.uuid4().bytes).hexdigest(),
        station_id=station.id,
        cylinder_id=cylinder.id,
        owner_id=cylinder.owner_id,
        hiring_org_id=hiring.id if hiring else cylinder.owner_id,
        filled_at=at,
        net_kg=Decimal("12.00"),
        dispatched_at=dispatched_at,
    )
    session.add(fill)
    session.flush()
    return fill


def add_entry(
    session: Session,
    kind: str,
    cylinder: Cylinder,
    actor: Organisation,
    at: dt.datetime,
    *,
    facility: Facility | None = None,
    counterparty: Organisation | None = None,
    counterparty_facility: Facility | None = None,
    fill: Fill | None = None,
    details: dict[str, Any] | None = None,
    customer: dict[str, Any] | None = None,
    keyring: Keyring | None = None,
    corrects: LedgerEntry | None = None,
    reason: str | None = None,
) -> LedgerEntry:
    """One ledger entry appended through the hash chain, as the events service would."""
    entry_uuid = str(uuid.uuid4())
    entry = LedgerEntry(
        entry_uuid=entry_uuid,
        content_hash=hashlib.sha256(json.dumps([kind, entry_uuid]).encode()).hexdigest(),
        kind=kind,
        cylinder_id=cylinder.id,
        occurred_at=at,
        recorded_at=at,
        actor_org_id=actor.id,
        actor_facility_id=facility.id if facility else None,
        counterparty_org_id=counterparty.id if counterparty else None,
        counterparty_facility_id=counterparty_facility.id if counterparty_facility else None,
        fill_id=fill.id if fill else None,
        details={"anomalies": [], **(details or {})},
        sealed_personal_data=seal(keyring, entry_uuid, customer) if customer and keyring else None,
        corrects_entry_id=corrects.id if corrects else None,
        reason=reason,
    )
    chain.append(session, [entry])
    return entry


@pytest.fixture
def keyring(app: Flask) -> Keyring:
    ring: Keyring = app.extensions["lpg_keyring"]
    return ring


@pytest.fixture
def scenario(db: Database, world: SimpleNamespace, keyring: Keyring) -> SimpleNamespace:
    """November 2026: org A fills, dispatches and sells to the Minh Anh shop, which sells on.

    Org B and a second shop do the same for their own cylinders: none of it may leak.
    """
    w = world
    with db.transaction() as s:
        w.type45 = f.cylinder_type(s, "45", "45")
        w.cyl_a2 = f.cylinder(s, w.org_a, w.brand_a, w.type45, serial="DP-000002")
        w.other_retailer = f.organisation(s, "Cửa hàng Gas Phú Lộc", roles=[TradeRole.RETAILER])
        w.other_shop = f.facility(s, w.other_retailer, FacilityKind.RETAIL_SHOP, "Cửa hàng Phú Lộc")
        w.masked_user = f.user(s, w.retailer, Role.STATION, username="retailer_station")
        a, b, shop = w.org_a, w.org_b, w.shop
        # Ledger 2: two fills at station A; the second is on 3 Nov in Vietnam (20:00 UTC on 2 Nov).
        w.fill1 = add_fill(s, w.station_a, w.cyl_a, utc(2, 3), dispatched_at=utc(2, 9))
        w.fill2 = add_fill(s, w.station_a, w.cyl_a2, utc(2, 20))
        w.fill_b = add_fill(s, w.station_b, w.cyl_b, utc(2, 4), dispatched_at=utc(2, 8))
        w.fill_october = add_fill(s, w.station_a, w.cyl_a, utc(31, 10, month=10))
        w.e_fill1 = add_entry(s, "fill", w.cyl_a, a, utc(2, 3), facility=w.station_a, fill=w.fill1)
        w.e_dispatch1 = add_entry(
            s,
            "dispatch",
            w.cyl_a,
            a,
            utc(2, 9),
            facility=w.station_a,
            counterparty=a,
            fill=w.fill1,
        )
        w.e_dispatch_fix = add_entry(
            s,
            "correction",
            w.cyl_a,
            a,
            utc(3, 1),
            facility=w.station_a,
            corrects=w.e_dispatch1,
            reason="Ghi nhầm giờ giao",
        )
        # Ledger 1: org A sells both cylinders to the Minh Anh shop, then corrects the first.
        w.sale1 = add_entry(
            s,
            "sale",
            w.cyl_a,
            a,
            utc(3, 2),
            counterparty=w.retailer,
            counterparty_facility=shop,
            details={"end_customer": "Nhà hàng Hương Sen"},
        )
        w.sale2 = add_entry(s, "transfer", w.cyl_a2, a, utc(4, 2), counterparty=w.retailer)
        w.sale_fix = add_entry(
            s,
            "correction",
            w.cyl_a,
            a,
            utc(6, 1),
            corrects=w.sale1,
            reason="Sai khách hàng cuối",
            details={"end_customer": "Quán ăn Bà Tư"},
        )
        w.sale_b = add_entry(s, "sale", w.cyl_b, b, utc(3, 3), counterparty=w.other_retailer)
        # Ledger 3: the shop receives cylinder 1 (scanned) but not cylinder 2, sells both.
        w.receipt1 = add_entry(
            s, "receipt", w.cyl_a, w.retailer, utc(3, 5), facility=shop, counterparty=a
        )
        w.consumer1 = add_entry(
            s,
            "consumer_sale",
            w.cyl_a,
            w.retailer,
            utc(5, 4),
            facility=shop,
            customer=CUSTOMER,
            keyring=keyring,
        )
        w.consumer2 = add_entry(
            s,
            "consumer_sale",
            w.cyl_a2,
            w.retailer,
            utc(7, 4),
            facility=shop,
            customer=CUSTOMER_2,
            keyring=keyring,
        )
        w.consumer_b = add_entry(
            s,
            "consumer_sale",
            w.cyl_b,
            w.other_retailer,
            utc(5, 6),
            facility=w.other_shop,
            customer={"customer_name": "Lê Thị Mai", "customer_address": "Long Bình"},
            keyring=keyring,
        )
    return w
