"""Shop receipt: one request verifies each label like the public service and records the genuine."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select

from tests import factories as f
from tests.custody.conftest import ago
from traceability.labels.codec import LabelClaims, issue_token
from traceability.models import Anomaly, Cylinder, LedgerEntry


def token_of(fill_answer):
    return fill_answer["label"]["url"].rsplit("/V/", 1)[1]


def forged_token() -> str:
    """A well-formed label signed by a key the registry never issued."""
    key = Ed25519PrivateKey.generate()
    claims = LabelClaims(
        key_id=b"\x01" * 8,
        label_id=b"\x02" * 8,
        serial="DP-000001",
        brand_code="DPGAS",
        type_code="12",
        tare_kg=Decimal("14.20"),
        net_kg=Decimal("12.00"),
        inspection_due=date(2029, 1, 1),
        filled_at=datetime(2026, 12, 1, 8, 0, tzinfo=UTC),
    )
    return issue_token(claims, key.sign)


WHEN = ago(minutes=5)


def receive(custody, user, items, delivery_uuid=None, **extra):
    body = {
        "delivery_uuid": delivery_uuid or str(uuid.uuid4()),
        "occurred_at": WHEN,
        "items": items,
        **extra,
    }
    return custody.client.post("/api/v1/receipts", json=body, headers=custody.headers(user))


def public_verdict(client, token):
    response = client.get(f"/api/v1/verify/{token}")
    assert response.status_code == 200, response.json
    return response.json["verdict"]


def test_mixed_delivery_records_only_genuine_cylinders(custody, world, db, client):
    w = world
    with db.transaction() as s:
        second = f.cylinder(s, w.org_a, w.brand_a, w.type12, serial="DP-000002")
    genuine = custody.fill(w.cyl_a, gross_kg="26.20")
    old = custody.fill(second, filled_at=ago(hours=3))
    new = custody.fill(second)
    items = [
        {"label": genuine["label"]["url"], "gross_kg": "26.10"},
        {"label": token_of(old)},
        {"label": token_of(new).lower(), "gross_kg": "25.50"},
        {"label": forged_token()},
        {"label": "https://lpg.test/v/HELLO"},
    ]
    expected = [
        public_verdict(client, token_of(genuine)),
        public_verdict(client, token_of(old)),
        public_verdict(client, token_of(new)),
        public_verdict(client, forged_token()),
    ]
    assert expected == ["genuine", "superseded", "genuine", "not_genuine"]
    delivery = str(uuid.uuid4())
    response = receive(
        custody, w.shop_user, items, delivery, supplier_org_id=w.org_a.id, reference="PGH-0042"
    )
    assert response.status_code == 200, response.json
    body = response.json
    results = body["results"]
    assert [r["status"] for r in results] == [
        "received",
        "rejected",
        "received",
        "rejected",
        "rejected",
    ]
    assert [r["verdict"] for r in results] == [*expected, "not_genuine"]
    assert (body["received"], body["rejected"], body["short_weight"]) == (2, 3, 1)
    assert (
        results[0]["item"]["anomalies"] == [] and results[0]["weight"]["measured_net_kg"] == "11.90"
    )
    assert results[2]["item"]["anomalies"] == ["short_weight"]
    assert results[2]["weight"]["short_by_kg"] == "0.70"
    assert results[1]["item"] is None and results[1]["cylinder_id"] == second.id
    with db.read() as s:
        receipts = s.scalars(
            select(LedgerEntry).where(LedgerEntry.kind == "receipt").order_by(LedgerEntry.id)
        ).all()
        assert [e.cylinder_id for e in receipts] == [w.cyl_a.id, second.id]
        assert all(
            e.actor_facility_id == w.shop.id and e.counterparty_org_id == w.org_a.id
            for e in receipts
        )
        assert receipts[1].label_id == new["label"]["id"]
        assert receipts[0].details["delivery_uuid"] == delivery
        assert receipts[0].details["reference"] == "PGH-0042"
        for cyl in (w.cyl_a, second):
            held = s.get(Cylinder, cyl.id)
            assert (held.holder_org_id, held.holder_facility_id) == (w.retailer.id, w.shop.id)
        short = s.scalars(select(Anomaly).where(Anomaly.kind == "short_weight")).all()
        assert [a.entry_id for a in short] == [receipts[1].id]

    again = receive(
        custody, w.shop_user, items, delivery, supplier_org_id=w.org_a.id, reference="PGH-0042"
    )
    assert [r["status"] for r in again.json["results"]] == [
        "duplicate",
        "rejected",
        "duplicate",
        "rejected",
        "rejected",
    ]
    assert again.json["results"][0]["item"]["entry"]["id"] == results[0]["item"]["entry"]["id"]
    with db.read() as s:
        assert s.scalar(select(func.count()).where(LedgerEntry.kind == "receipt")) == 2


def test_receipt_from_someone_not_holding_it_is_flagged(custody, world):
    token = token_of(custody.fill(world.cyl_a))
    response = receive(custody, world.shop_user, [{"label": token}], supplier_org_id=world.org_b.id)
    result = response.json["results"][0]
    assert result["status"] == "received" and result["item"]["anomalies"] == ["custody_conflict"]


def test_changed_resend_of_a_delivery_conflicts(custody, world):
    token = token_of(custody.fill(world.cyl_a))
    delivery = str(uuid.uuid4())
    receive(custody, world.shop_user, [{"label": token}], delivery)
    changed = receive(custody, world.shop_user, [{"label": token, "gross_kg": "20"}], delivery)
    result = changed.json["results"][0]
    assert (result["status"], result["item"]["code"]) == ("rejected", "entry_uuid_reused")


def test_only_shops_receive(custody, world):
    token = token_of(custody.fill(world.cyl_a))
    for user in (world.trader_a, world.station_user_a, world.inspector, world.admin):
        assert receive(custody, user, [{"label": token}]).status_code == 403, user.username
    assert custody.client.post("/api/v1/receipts", json={}).status_code == 401


def test_bad_receipt_payloads_are_422(custody, world):
    for items in (
        [],
        [{"label": "x"}] * 501,
        [{"label": "x", "gross_kg": "-1"}],
        [{"label": "x", "extra": 1}],
    ):
        assert receive(custody, world.shop_user, items).status_code == 422
    no_time = custody.client.post(
        "/api/v1/receipts",
        headers=custody.headers(world.shop_user),
        json={"delivery_uuid": str(uuid.uuid4()), "items": [{"label": "x"}]},
    )
    assert no_time.status_code == 422
