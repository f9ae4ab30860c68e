"""Fixtures for inspection tests: requests as a world user, audit reads, a cylinder with a past."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from tests.inspection import helpers as h
from traceability.models import AuditEntry, Cylinder, FieldCheck, User


class As:
    """Requests as one user: `api.as_(world.inspector).get("/cases")` (paths under /api/v1)."""

    def __init__(self, client: Any, headers: dict[str, str]) -> None:
        self.client, self.headers = client, headers

    def get(self, path: str, **kw: Any):
        return self.client.get("/api/v1" + path, headers=self.headers, **kw)

    def post(self, path: str, **kw: Any):
        return self.client.post("/api/v1" + path, headers=self.headers, **kw)


class Api:
    def __init__(self, client: Any, auth: Any) -> None:
        self.client, self.auth, self._headers = client, auth, {}

    def as_(self, user: Any) -> As:
        if user.id not in self._headers:
            self._headers[user.id] = self.auth.headers(user)
        return As(self.client, self._headers[user.id])


@pytest.fixture
def api(client, auth) -> Api:
    return Api(client, auth)


@pytest.fixture
def audit_entries(db):
    def read(entity: str, entity_id: Any = None) -> list[AuditEntry]:
        with db.transaction() as session:  # not db.read(): its rollback would expire the rows
            stmt = select(AuditEntry).where(AuditEntry.entity == entity).order_by(AuditEntry.id)
            if entity_id is not None:
                stmt = stmt.where(AuditEntry.entity_id == str(entity_id))
            return list(session.scalars(stmt))

    return read


CUSTOMER_NAME = "Nguyễn Thị Hoa"
CUSTOMER_PHONE = "0912345678"


@pytest.fixture
def storied(db, world) -> SimpleNamespace:
    """cyl_a's past: fill, dispatch, sale to the shop, consumer sale, report, anomaly, a check,
    a second fill that supersedes the first label; scans of both labels."""
    s = SimpleNamespace()
    with db.transaction() as session:
        cylinder = session.get(Cylinder, world.cyl_a.id)
        key = h.signing_key(session, world.station_a)
        s.fill1, s.label1 = h.fill_and_label(session, cylinder, world.station_a, h.at(0), key)
        h.scans(session, s.label1, "genuine", h.at(1.5), n=3)
        s.report = h.report(
            session,
            cylinder,
            h.at(4),
            text=f"Gọi {CUSTOMER_PHONE}",
            sealed_contact=b"\x01sealed",
        )
        s.anomaly = h.anomaly(session, cylinder, h.at(5), detail={"reason": "out of order"})
        inspector = session.get(User, world.inspector.id)
        s.check = FieldCheck(
            entry_uuid="11111111-1111-4111-8111-111111111111",
            cylinder_id=cylinder.id,
            inspector_id=inspector.id,
            checked_at=h.at(6),
            place="Chợ Tân Hiệp",
            result="violations",
            violations=["short_weight"],
            notes="Cân thiếu 0,8 kg",
        )
        session.add(s.check)
        s.fill2, s.label2 = h.fill_and_label(session, cylinder, world.station_a, h.at(10), key)
        h.scans(session, s.label1, "superseded", h.at(11), n=2)
        h.scans(session, s.label2, "genuine", h.at(12))
        s.entries = h.ledger(
            session,
            [
                h.entry(
                    cylinder,
                    "fill",
                    h.at(0),
                    world.org_a.id,
                    actor_facility_id=world.station_a.id,
                    fill_id=s.fill1.id,
                ),
                h.entry(
                    cylinder,
                    "dispatch",
                    h.at(1),
                    world.org_a.id,
                    actor_facility_id=world.station_a.id,
                    counterparty_org_id=world.org_a.id,
                ),
                h.entry(
                    cylinder,
                    "sale",
                    h.at(2),
                    world.org_a.id,
                    counterparty_org_id=world.retailer.id,
                    counterparty_facility_id=world.shop.id,
                ),
                h.entry(
                    cylinder,
                    "consumer_sale",
                    h.at(3),
                    world.retailer.id,
                    actor_facility_id=world.shop.id,
                    sealed_personal_data=b"\x01opaque",
                    details={
                        "customer_name": CUSTOMER_NAME,
                        "quantity": 1,
                        "customer": {"phone": CUSTOMER_PHONE},
                    },
                ),
            ],
        )
        s.session_ids = [e.id for e in s.entries]
    return s
