"""The three Decree 87 ledgers hold exactly the Decree's fields for a small month of custody."""

from __future__ import annotations

from tests.ledgers.conftest import CUSTOMER, CUSTOMER_2, PERIOD, add_entry, utc


def _get(client, auth, user, number, **params):
    response = client.get(
        f"/api/v1/ledgers/{number}", query_string={**PERIOD, **params}, headers=auth.headers(user)
    )
    assert response.status_code == 200, response.json
    return response.json


def test_ledger_1_lists_sales_and_transfers_with_buyer_end_customer_and_correction(
    client, auth, scenario
):
    w = scenario
    body = _get(client, auth, w.trader_a, 1)
    assert body["organisation"]["id"] == w.org_a.id
    assert body["total"] == 3
    sale, transfer, fix = body["items"]
    assert sale == {
        **sale,
        "entry_id": w.sale1.id,
        "row_type": "entry",
        "kind": "sale",
        "owner": "Công ty CP Dầu khí Đại Phát",
        "cylinder_type": "Bình 12 kg",
        "serial": "DP-000001",
        "inspection_expiry": w.cyl_a.inspection_due.isoformat(),
        "buyer_name": "Cửa hàng Gas Minh Anh (Cửa hàng Minh Anh)",
        "buyer_address": w.shop.address,
        "end_customer": "Nhà hàng Hương Sen",
        "delivery_date": "2026-11-03",
        "corrected_by": [w.sale_fix.id],
    }
    assert transfer["kind"] == "transfer"
    assert transfer["buyer_name"] == "Cửa hàng Gas Minh Anh"
    assert transfer["buyer_address"] == w.retailer.address
    assert transfer["cylinder_type"] == "Bình 45 kg"
    assert transfer["end_customer"] is None
    assert fix["row_type"] == "correction"
    assert fix["corrects_entry_id"] == w.sale1.id
    assert fix["correction_reason"] == "Sai khách hàng cuối"
    assert fix["end_customer"] == "Quán ăn Bà Tư"
    assert fix["buyer_name"] == sale["buyer_name"]
    assert fix["correction_details"] == {"end_customer": "Quán ăn Bà Tư"}


def test_ledger_2_lists_fills_in_local_days_with_delivery_and_summary(client, auth, scenario):
    w = scenario
    body = _get(client, auth, w.station_user_a, 2)
    rows = body["items"]
    assert [(r["row_type"], r["fill_id"]) for r in rows] == [
        ("entry", w.fill1.id),
        ("entry", w.fill2.id),
        ("correction", w.fill1.id),
    ]
    first, second, fix = rows
    assert first["quantity"] == 1
    assert first["owner"] == "Công ty CP Dầu khí Đại Phát"
    assert first["serial"] == "DP-000001"
    assert first["fill_date"] == "2026-11-02"
    assert first["delivered_date"] == "2026-11-02"
    assert first["hiring_trader"] == "Công ty CP Dầu khí Đại Phát"
    assert first["corrected_by"] == [w.e_dispatch_fix.id]
    assert second["fill_date"] == "2026-11-03"  # 20:00 UTC is 03:00 next day in Vietnam
    assert second["delivered_date"] is None
    assert fix["corrects_entry_id"] == w.e_dispatch1.id
    assert fix["correction_reason"] == "Ghi nhầm giờ giao"
    assert fix["quantity"] is None
    assert body["summary"] == [
        {
            "day": "2026-11-02",
            "owner": "Công ty CP Dầu khí Đại Phát",
            "cylinder_type": "Bình 12 kg",
            "filled": 1,
            "delivered": 1,
        },
        {
            "day": "2026-11-03",
            "owner": "Công ty CP Dầu khí Đại Phát",
            "cylinder_type": "Bình 45 kg",
            "filled": 1,
            "delivered": 0,
        },
    ]


def test_ledger_2_per_station_and_period_bounds(client, auth, scenario):
    w = scenario
    body = _get(client, auth, w.admin, 2, facility_id=w.station_a.id, to="2026-11-02")
    assert [r["fill_id"] for r in body["items"]] == [w.fill1.id]
    october = _get(
        client,
        auth,
        w.admin,
        2,
        facility_id=w.station_a.id,
        **{"from": "2026-10-01", "to": "2026-10-31"},
    )
    assert [r["fill_id"] for r in october["items"]] == [w.fill_october.id]


def test_ledger_3_shows_supplier_receipt_and_decrypted_customer_for_the_shop(
    client, auth, scenario
):
    w = scenario
    body = _get(client, auth, w.shop_user, 3)
    assert body["personal_data_visible"] is True
    first, second = body["items"]
    assert first["entry_id"] == w.consumer1.id
    assert first["supplier_name"] == "Công ty CP Dầu khí Đại Phát"
    assert first["received_date"] == "2026-11-03"
    assert first["customer_name"] == CUSTOMER["customer_name"]
    assert first["customer_address"] == CUSTOMER["customer_address"]
    assert first["delivery_date"] == "2026-11-05"
    assert "customer_phone" not in first
    # No receipt was scanned for the second cylinder: the trader's transfer names the supplier.
    assert second["supplier_name"] == "Công ty CP Dầu khí Đại Phát"
    assert second["received_date"] == "2026-11-04"
    assert second["customer_name"] == CUSTOMER_2["customer_name"]


def test_pagination_is_stable_and_counts_everything(client, auth, scenario):
    w = scenario
    page1 = _get(client, auth, w.trader_a, 1, per_page=2, page=1)
    page2 = _get(client, auth, w.trader_a, 1, per_page=2, page=2)
    assert page1["total"] == page2["total"] == 3
    ids = [r["entry_id"] for r in page1["items"] + page2["items"]]
    assert ids == [w.sale1.id, w.sale2.id, w.sale_fix.id]
    assert _get(client, auth, w.trader_a, 1, per_page=2, page=3)["items"] == []


def test_an_admins_correction_stays_in_the_ledger_of_the_corrected_entry(
    client, auth, db, scenario
):
    w = scenario
    with db.transaction() as s:
        fix = add_entry(
            s,
            "correction",
            w.cyl_a2,
            w.department,
            utc(9, 1),
            corrects=w.sale2,
            reason="Sở Công Thương điều chỉnh",
        )
    items = _get(client, auth, w.trader_a, 1)["items"]
    assert [r["entry_id"] for r in items] == [w.sale1.id, w.sale2.id, w.sale_fix.id, fix.id]
    assert items[1]["corrected_by"] == [fix.id]
    assert items[3]["buyer_name"] == "Cửa hàng Gas Minh Anh"
    assert items[3]["correction_reason"] == "Sở Công Thương điều chỉnh"


def test_rows_show_the_inspection_due_date_in_force_then_not_the_current_one(
    client, auth, db, scenario
):
    """A re-inspection after the fill must not rewrite the ledgers' history."""
    import datetime as dt

    from sqlalchemy import update

    from traceability.models import Cylinder, Fill

    w = scenario
    on_label, renewed = dt.date(2027, 1, 15), dt.date(2031, 1, 15)
    with db.transaction() as s:
        s.execute(update(Fill).where(Fill.id == w.fill1.id).values(inspection_due=on_label))
        s.execute(update(Cylinder).where(Cylinder.id == w.cyl_a.id).values(inspection_due=renewed))
    ledger2 = {
        (r["row_type"], r["fill_id"]): r["inspection_expiry"]
        for r in _get(client, auth, w.station_user_a, 2)["items"]
    }
    assert ledger2[("entry", w.fill1.id)] == on_label.isoformat()
    assert ledger2[("correction", w.fill1.id)] == on_label.isoformat()
    # A fill recorded before fills kept the date falls back to the cylinder's own.
    assert ledger2[("entry", w.fill2.id)] == w.cyl_a2.inspection_due.isoformat()
    ledger1 = {r["entry_id"]: r for r in _get(client, auth, w.trader_a, 1)["items"]}
    assert ledger1[w.sale1.id]["inspection_expiry"] == on_label.isoformat()
    ledger3 = {r["entry_id"]: r for r in _get(client, auth, w.shop_user, 3)["items"]}
    assert ledger3[w.consumer1.id]["inspection_expiry"] == on_label.isoformat()
