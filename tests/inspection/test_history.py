"""A cylinder's full history: contents, order, paging, privacy and who may read it."""

from __future__ import annotations

import json

from tests.inspection.conftest import CUSTOMER_NAME, CUSTOMER_PHONE


def _history(api, user, cylinder_id, **query):
    return api.as_(user).get(f"/cylinders/{cylinder_id}/history", query_string=query)


def test_inspector_sees_every_source_newest_first(api, world, storied):
    response = _history(api, world.inspector, world.cyl_a.id)
    assert response.status_code == 200, response.json
    body = response.json
    assert body["scope"] == "full" and body["next_cursor"] is None
    kinds = [(item["source"], item.get("type")) for item in body["items"]]
    assert kinds == [
        ("label", "label_issued"),  # second fill, 10 h
        ("field_check", "field_check"),  # 6 h
        ("anomaly", "anomaly"),  # 5 h
        ("report", "consumer_report"),  # 4 h
        ("event", "consumer_sale"),  # 3 h
        ("event", "sale"),  # 2 h
        ("event", "dispatch"),  # 1 h
        ("event", "fill"),  # 0 h: the ledger entry sorts before the label at the same instant
        ("label", "label_issued"),
    ]
    times = [item["at"] for item in body["items"]]
    assert times == sorted(times, reverse=True)


def test_labels_carry_station_code_supersession_and_scans(api, world, storied):
    body = _history(api, world.inspector, world.cyl_a.id).json
    labels = {item["label_id"]: item for item in body["items"] if item["source"] == "label"}
    first, second = labels[storied.label1.id], labels[storied.label2.id]
    assert first["manual_code"].replace("-", "") == storied.label1.manual_code
    assert len(first["manual_code"]) == 17
    assert first["actor"]["facility"] == "Trạm chiết Đại Phát"
    assert first["actor"]["organisation"] == "Công ty CP Dầu khí Đại Phát"
    assert first["superseded_by_id"] == storied.label2.id and first["current"] is False
    assert first["scans"]["by_verdict"] == {"genuine": 3, "superseded": 2}
    assert second["current"] is True and second["scans"]["total"] == 1
    assert body["scans"]["by_verdict"] == {"genuine": 4, "superseded": 2}
    assert body["scans"]["last"][0]["label_id"] == storied.label2.id
    assert body["cylinder"]["current_label_id"] == storied.label2.id


def test_events_name_organisations_and_facilities(api, world, storied):
    body = _history(api, world.inspector, world.cyl_a.id).json
    sale = next(item for item in body["items"] if item.get("type") == "sale")
    assert sale["counterparty"] == {
        "organisation_id": world.retailer.id,
        "organisation": "Cửa hàng Gas Minh Anh",
        "facility_id": world.shop.id,
        "facility": "Cửa hàng Minh Anh",
    }
    consumer_sale = next(item for item in body["items"] if item.get("type") == "consumer_sale")
    assert consumer_sale["has_personal_data"] is True
    assert consumer_sale["details"] == {"quantity": 1}
    check = next(item for item in body["items"] if item["source"] == "field_check")
    assert check["actor"]["organisation"] == "Sở Công Thương Đồng Nai"
    assert check["notes"] == "Cân thiếu 0,8 kg" and check["violations"] == ["short_weight"]


def test_no_personal_data_anywhere_in_the_timeline(api, world, storied):
    text = json.dumps(_history(api, world.inspector, world.cyl_a.id).json, ensure_ascii=False)
    for secret in (CUSTOMER_NAME, CUSTOMER_PHONE, "inspector", "Người dùng", "sealed"):
        assert secret not in text


def test_cursor_pages_cover_the_timeline_exactly_once(api, world, storied):
    full = [
        (i["source"], i["id"]) for i in _history(api, world.admin, world.cyl_a.id).json["items"]
    ]
    seen, cursor = [], None
    while True:
        query = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        body = _history(api, world.admin, world.cyl_a.id, **query).json
        seen += [(i["source"], i["id"]) for i in body["items"]]
        cursor = body["next_cursor"]
        assert cursor is None or "+" not in cursor  # safe in a URL as it is
        if cursor is None:
            break
    assert seen == full and len(full) == 9


def test_bad_cursor_and_limit_are_refused(api, world, storied):
    assert _history(api, world.inspector, world.cyl_a.id, cursor="nonsense").status_code == 422
    assert _history(api, world.inspector, world.cyl_a.id, limit=0).status_code == 422
    assert _history(api, world.inspector, world.cyl_a.id, limit=501).status_code == 422


def test_owner_trader_sees_own_cylinder_without_investigation_material(api, world, storied):
    response = _history(api, world.trader_a, world.cyl_a.id)
    assert response.status_code == 200
    body = response.json
    assert body["scope"] == "owner"
    sources = {item["source"] for item in body["items"]}
    assert sources == {"event", "label", "field_check"}
    check = next(item for item in body["items"] if item["source"] == "field_check")
    assert "notes" not in check and check["violations"] == ["short_weight"]


def test_other_trader_gets_404_and_stations_and_shops_403(api, world, storied):
    assert _history(api, world.trader_b, world.cyl_a.id).status_code == 404
    assert _history(api, world.trader_b, 10**6).status_code == 404
    assert _history(api, world.station_user_a, world.cyl_a.id).status_code == 403
    assert _history(api, world.shop_user, world.cyl_a.id).status_code == 403
    assert _history(api, world.inspector, 10**6).status_code == 404
    assert _history(api, world.inspector, 2**63).status_code == 404
    assert api.client.get(f"/api/v1/cylinders/{world.cyl_a.id}/history").status_code == 401


def test_cylinder_without_history_has_an_empty_timeline(api, world):
    body = _history(api, world.inspector, world.cyl_b.id).json
    assert body["items"] == [] and body["scans"] == {"total": 0, "by_verdict": {}, "last": []}
    assert body["cylinder"]["serial"] == "BH-000001"
