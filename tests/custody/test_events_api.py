"""Custody events over HTTP: each kind, who may record what, holders, anomalies, idempotency."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from tests.custody.conftest import ago, event
from traceability.models import Anomaly, Cylinder, Fill, LedgerEntry
from traceability.models.enums import CylinderStatus


def cylinder(db, cyl):
    """The cylinder as stored now (detached, with its columns loaded)."""
    with db.read() as s:
        row = s.get(Cylinder, cyl.id)
        s.expunge(row)
    return row


def anomalies(db, entry_id):
    with db.read() as s:
        return sorted(
            a.kind for a in s.scalars(select(Anomaly).where(Anomaly.entry_id == entry_id))
        )


def test_full_journey_moves_the_holder_each_step(custody, world, db):
    w = world
    custody.fill(w.cyl_a, filled_at=ago(hours=5))
    dispatched = custody.record(
        w.station_user_a, event("dispatch", w.cyl_a, occurred_at=ago(hours=4))
    )
    assert dispatched["status"] == "created" and dispatched["anomalies"] == []
    entry = dispatched["entry"]
    assert entry["counterparty_org_id"] == w.org_a.id and entry["fill_id"] is not None
    with db.read() as s:
        assert s.get(Fill, entry["fill_id"]).dispatched_at is not None
    assert cylinder(db, w.cyl_a).holder_org_id == w.org_a.id

    custody.record(
        w.trader_a,
        event(
            "sale",
            w.cyl_a,
            occurred_at=ago(hours=3),
            reference="PX-17",
            counterparty_org_id=w.retailer.id,
            counterparty_facility_id=w.shop.id,
        ),
    )
    held = cylinder(db, w.cyl_a)
    assert (held.holder_org_id, held.holder_facility_id) == (w.retailer.id, w.shop.id)

    sold = custody.record(
        w.shop_user,
        event(
            "consumer_sale",
            w.cyl_a,
            occurred_at=ago(hours=2),
            customer={"name": "Nguyễn Văn An", "address": "12 Đồng Khởi, Biên Hòa"},
        ),
    )
    assert sold["entry"]["has_personal_data"] is True and sold["anomalies"] == []
    assert cylinder(db, w.cyl_a).holder_org_id is None

    custody.record(w.shop_user, event("return", w.cyl_a, occurred_at=ago(hours=1)))
    assert cylinder(db, w.cyl_a).holder_facility_id == w.shop.id
    back = custody.record(
        w.shop_user,
        event("return", w.cyl_a, occurred_at=ago(minutes=30), counterparty_org_id=w.org_a.id),
    )
    assert back["anomalies"] == [] and cylinder(db, w.cyl_a).holder_org_id == w.org_a.id

    moved = custody.record(w.trader_a, event("transfer", w.cyl_a, counterparty_org_id=w.org_b.id))
    assert moved["anomalies"] == [] and cylinder(db, w.cyl_a).holder_org_id == w.org_b.id
    with db.read() as s:
        kinds = s.scalars(select(LedgerEntry.kind).order_by(LedgerEntry.id)).all()
    assert kinds == ["fill", "dispatch", "sale", "consumer_sale", "return", "return", "transfer"]


def test_condition_events_change_status_and_due_date(custody, world, db):
    w = world
    new_due = (dt.date.today() + dt.timedelta(days=1800)).isoformat()
    custody.record(
        w.trader_a, event("inspection", w.cyl_a, result="passed", inspection_due=new_due)
    )
    assert cylinder(db, w.cyl_a).inspection_due.isoformat() == new_due
    custody.record(w.inspector, event("inspection", w.cyl_a, result="failed"))
    assert cylinder(db, w.cyl_a).status == CylinderStatus.QUARANTINED
    custody.record(w.trader_b, event("reported_lost", w.cyl_b))
    assert cylinder(db, w.cyl_b).status == CylinderStatus.LOST
    custody.record(w.trader_b, event("reported_stolen", w.cyl_b))
    assert cylinder(db, w.cyl_b).status == CylinderStatus.STOLEN
    custody.record(w.inspector, event("seized", w.cyl_b, place="Chợ Tân Hiệp"))
    seized = cylinder(db, w.cyl_b)
    assert seized.status == CylinderStatus.SEIZED and seized.holder_org_id == w.department.id
    custody.record(w.admin, event("scrapped", w.cyl_b, reason="thân bình bị ăn mòn"))
    assert cylinder(db, w.cyl_b).status == CylinderStatus.SCRAPPED


def test_refusals_say_why(custody, world):
    w = world
    cases = [
        (w.shop_user, event("dispatch", w.cyl_a), 403, "wrong_role_for_kind"),
        (
            w.station_user_a,
            event("consumer_sale", w.cyl_a, customer={"name": "A", "address": "B"}),
            403,
            "wrong_role_for_kind",
        ),
        (w.trader_a, event("seized", w.cyl_a), 403, "wrong_role_for_kind"),
        (w.trader_b, event("scrapped", w.cyl_a), 403, "not_owner"),
        (w.trader_b, event("inspection", w.cyl_a, result="failed"), 403, "not_owner"),
        (w.trader_b, event("reported_stolen", w.cyl_a), 403, "not_a_party"),
        (
            w.trader_a,
            event("sale", cylinder_id=999_999, counterparty_org_id=w.org_b.id),
            404,
            "unknown_cylinder",
        ),
        (
            w.trader_a,
            event("sale", w.cyl_a, counterparty_org_id=999_999),
            404,
            "unknown_counterparty",
        ),
        (
            w.trader_a,
            event("sale", w.cyl_a, counterparty_org_id=w.org_a.id),
            422,
            "counterparty_is_self",
        ),
        (w.trader_a, event("sale", w.cyl_a), 422, "missing_field"),
        (w.shop_user, event("consumer_sale", w.cyl_a), 422, "missing_field"),
        (w.trader_a, event("inspection", w.cyl_a, result="passed"), 422, "missing_field"),
        (w.trader_a, event("correction", w.cyl_a, corrects_entry_id=1), 422, "missing_field"),
        (
            w.trader_a,
            event(
                "sale",
                w.cyl_a,
                counterparty_org_id=w.org_b.id,
                occurred_at=(dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat(),
            ),
            422,
            "occurred_in_future",
        ),
        (
            w.trader_a,
            event("sale", label="HTTPS://LPG.TEST/V/AAAA", counterparty_org_id=w.org_b.id),
            404,
            "unknown_label",
        ),
        (
            w.trader_a,
            event("sale", brand_code="DPGAS", serial="NOPE", counterparty_org_id=w.org_b.id),
            404,
            "unknown_cylinder",
        ),
    ]
    for user, body, status, code in cases:
        response = custody.post(user, body)
        assert (response.status_code, response.json["code"]) == (status, code), (
            body,
            response.json,
        )
        assert response.json["message"]["vi"] and response.json["message"]["en"]


def test_bad_payloads_are_422_not_500(custody, world):
    for body in (
        {"kind": "sale"},
        event("fill", world.cyl_a),
        event("receipt", world.cyl_a),
        event("sale", world.cyl_a, occurred_at="2026-01-01T10:00:00"),
        event("sale", world.cyl_a, entry_uuid="not-a-uuid"),
        event("sale", world.cyl_a, surprise=1),
    ):
        assert custody.post(world.trader_a, body).status_code == 422


def test_cylinder_named_by_serial_or_label(custody, world, db):
    w = world
    label = custody.fill(w.cyl_a)["label"]
    by_label = custody.record(w.station_user_a, event("dispatch", label=label["url"].lower()))
    assert by_label["entry"]["cylinder_id"] == w.cyl_a.id
    assert by_label["entry"]["label_id"] == label["id"]
    by_serial = custody.record(
        w.trader_a,
        event("sale", brand_code="DPGAS", serial="dp-000001", counterparty_org_id=w.org_b.id),
    )
    assert by_serial["entry"]["cylinder_id"] == w.cyl_a.id


def test_non_holder_movement_is_kept_and_flagged(custody, world, db):
    w = world
    result = custody.record(w.trader_b, event("sale", w.cyl_a, counterparty_org_id=w.retailer.id))
    assert result["entry"]["anomaly"] is True and result["anomalies"] == ["custody_conflict"]
    assert anomalies(db, result["entry"]["id"]) == ["custody_conflict"]


def test_offline_events_arriving_out_of_order_are_kept_and_flagged(custody, world, db):
    w = world
    custody.fill(w.cyl_a, filled_at=ago(hours=6))
    # The shop's device was online: its sale to a household arrives first...
    first = custody.record(
        w.shop_user,
        event(
            "consumer_sale",
            w.cyl_a,
            occurred_at=ago(hours=1),
            customer={"name": "Trần Thị Bình", "address": "Ấp 3"},
        ),
    )
    assert first["anomalies"] == [
        "custody_conflict"
    ]  # the shop did not hold it yet, as far as we knew
    # ...then the trader's offline device uploads the earlier sale to that shop.
    late = custody.record(
        w.trader_a,
        event(
            "sale",
            w.cyl_a,
            occurred_at=ago(hours=2),
            counterparty_org_id=w.retailer.id,
            counterparty_facility_id=w.shop.id,
        ),
    )
    assert late["status"] == "created" and late["anomalies"] == ["out_of_order"]
    assert anomalies(db, late["entry"]["id"]) == ["out_of_order"]
    assert cylinder(db, w.cyl_a).holder_org_id is None  # the later event's state stands
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(LedgerEntry)) == 3


def test_moving_a_flagged_or_expired_cylinder_is_flagged(custody, world, db):
    w = world
    custody.record(w.trader_a, event("reported_stolen", w.cyl_a))
    result = custody.record(w.trader_a, event("sale", w.cyl_a, counterparty_org_id=w.org_b.id))
    assert result["anomalies"] == ["flagged_cylinder_moved"]
    with db.transaction() as s:
        # Two days back: "yesterday" would race midnight against the event's minute-old time.
        s.get(Cylinder, w.cyl_b.id).inspection_due = dt.date.today() - dt.timedelta(days=2)
    expired = custody.record(w.trader_b, event("sale", w.cyl_b, counterparty_org_id=w.org_a.id))
    assert expired["anomalies"] == ["inspection_expired_moved"]


def test_same_uuid_replays_and_different_content_conflicts(custody, world, db):
    body = event("sale", world.cyl_a, counterparty_org_id=world.org_b.id)
    first = custody.record(world.trader_a, body)
    again = custody.record(world.trader_a, body, status=200)
    assert again["status"] == "duplicate" and again["entry"]["id"] == first["entry"]["id"]
    changed = custody.post(world.trader_a, {**body, "counterparty_org_id": world.retailer.id})
    assert (changed.status_code, changed.json["code"]) == (409, "entry_uuid_reused")
    other_org = custody.post(world.trader_b, body)
    assert other_org.status_code == 409
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(LedgerEntry)) == 1


def test_batch_answers_each_item_and_keeps_the_good_ones(custody, world, db):
    w = world
    good = event("sale", w.cyl_a, counterparty_org_id=w.org_b.id)
    bodies = [
        good,
        {"kind": "sale", "entry_uuid": "3b4c6a52-7a0e-4d53-9b39-8e2f5a0c8d11"},
        event("sale", cylinder_id=424242, counterparty_org_id=w.org_b.id),
        event("seized", w.cyl_a),
        good,
        event("reported_lost", w.cyl_a),
    ]
    response = custody.batch(w.trader_a, bodies)
    assert response.status_code == 200, response.json
    results = response.json["results"]
    assert [r["status"] for r in results] == [
        "created",
        "rejected",
        "rejected",
        "rejected",
        "duplicate",
        "created",
    ]
    assert [r["code"] for r in results][1:4] == [
        "validation_failed",
        "unknown_cylinder",
        "wrong_role_for_kind",
    ]
    assert results[1]["entry_uuid"] == "3b4c6a52-7a0e-4d53-9b39-8e2f5a0c8d11"
    assert results[1]["errors"]["occurred_at"]
    assert results[4]["entry"]["id"] == results[0]["entry"]["id"]
    assert response.json["created"] == 2 and response.json["rejected"] == 3
    assert cylinder(db, w.cyl_a).status == CylinderStatus.LOST
    too_many = custody.batch(w.trader_a, [event("reported_lost", w.cyl_a)] * 501)
    assert too_many.status_code == 422


def test_correction_references_the_original_and_never_edits_it(custody, world, db):
    w = world
    original = custody.record(w.trader_a, event("sale", w.cyl_a, counterparty_org_id=w.org_b.id))
    entry_id = original["entry"]["id"]
    fix = custody.record(
        w.trader_a,
        event(
            "correction",
            corrects_entry_id=entry_id,
            reason="nhầm người mua: bán cho cửa hàng Minh Anh",
        ),
    )
    assert fix["entry"]["corrects_entry_id"] == entry_id
    assert fix["entry"]["cylinder_id"] == w.cyl_a.id
    with db.read() as s:
        stored_hash = s.get(LedgerEntry, entry_id).entry_hash
    assert stored_hash == original["entry"]["entry_hash"]
    foreign = custody.post(w.trader_b, event("correction", corrects_entry_id=entry_id, reason="x"))
    assert (foreign.status_code, foreign.json["code"]) == (404, "unknown_original_entry")


def test_entries_are_read_only_by_the_parties_and_the_authority(custody, client, world, auth):
    w = world
    entry = custody.record(w.trader_a, event("sale", w.cyl_a, counterparty_org_id=w.retailer.id))
    url = f"/api/v1/events/{entry['entry']['id']}"
    for user, status in (
        (w.trader_a, 200),
        (w.shop_user, 200),
        (w.inspector, 200),
        (w.admin, 200),
        (w.trader_b, 404),
        (w.station_user_b, 404),
    ):
        assert client.get(url, headers=custody.headers(user)).status_code == status, user.username
    assert client.get(url).status_code == 401
    assert client.put(url, json={}, headers=custody.headers(w.admin)).status_code == 405
    assert client.delete(url, headers=custody.headers(w.admin)).status_code == 405


def test_late_conditions_still_apply_but_late_moves_do_not(custody, world, db):
    w = world
    custody.record(
        w.trader_a,
        event("sale", w.cyl_a, occurred_at=ago(hours=1), counterparty_org_id=w.retailer.id),
    )
    late_theft = custody.record(
        w.trader_a, event("reported_stolen", w.cyl_a, occurred_at=ago(hours=3))
    )
    assert late_theft["anomalies"] == ["out_of_order"]
    held = cylinder(db, w.cyl_a)
    assert held.status == CylinderStatus.STOLEN and held.holder_org_id == w.retailer.id

    newest_due = (dt.date.today() + dt.timedelta(days=900)).isoformat()
    custody.record(
        w.trader_b,
        event(
            "inspection",
            w.cyl_b,
            result="passed",
            inspection_due=newest_due,
            occurred_at=ago(hours=2),
        ),
    )
    custody.record(
        w.trader_b, event("inspection", w.cyl_b, result="failed", occurred_at=ago(days=3))
    )
    inspected = cylinder(db, w.cyl_b)
    assert inspected.inspection_due.isoformat() == newest_due
    assert inspected.status == CylinderStatus.IN_SERVICE
