"""Field checks: recording (idempotent), validation, anomalies for fraud, listing, who may."""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import pytest
from sqlalchemy import select

from tests.inspection import helpers as h
from traceability.db import utcnow
from traceability.inspection.field_checks import FieldCheckInput, record_field_check
from traceability.labels.codec import label_url
from traceability.models import Anomaly, Cylinder, FieldCheck
from traceability.permissions import Principal


def _body(world, **extra):
    return {
        "entry_uuid": str(uuid.uuid4()),
        "brand_code": "dpgas",
        "serial": "dp-000001",
        "checked_at": (utcnow() - dt.timedelta(hours=1)).isoformat(),
        "place": "Cửa hàng Minh Anh, Tân Hiệp",
        "result": "compliant",
    } | extra


def test_record_then_replay_returns_the_same_check(api, world, audit_entries):
    body = _body(world, latitude=10.9571234, longitude=106.8423456)
    first = api.as_(world.inspector).post("/field-checks", json=body)
    assert first.status_code == 201, first.json
    assert first.json["cylinder_id"] == world.cyl_a.id
    assert (first.json["latitude"], first.json["longitude"]) == (10.957, 106.842)
    again = api.as_(world.inspector).post("/field-checks", json=body)
    assert again.status_code == 200 and again.json["id"] == first.json["id"]
    assert len(audit_entries("field_check", first.json["id"])) == 1


def test_reusing_a_uuid_for_another_check_is_a_conflict(api, world):
    body = _body(world)
    assert api.as_(world.inspector).post("/field-checks", json=body).status_code == 201
    changed = body | {"result": "violations", "violations": ["no_label"]}
    response = api.as_(world.inspector).post("/field-checks", json=changed)
    assert response.status_code == 409 and response.json["code"] == "field_check_uuid_reused"
    assert api.as_(world.admin).post("/field-checks", json=body).status_code == 409


@pytest.mark.parametrize(
    ("extra", "status"),
    [
        ({"result": "compliant", "violations": ["no_label"]}, 422),
        ({"result": "violations", "violations": []}, 422),
        ({"result": "violations", "violations": ["painted_over"]}, 422),
        ({"result": "violations", "violations": ["other"]}, 422),
        ({"result": "fine"}, 422),
        ({"notes": "x" * 2001}, 422),
        ({"checked_at": "2026-12-04T10:00:00"}, 422),
        ({"checked_at": (utcnow() + dt.timedelta(days=1)).isoformat()}, 422),
        ({"latitude": 91}, 422),
        ({"unexpected": 1}, 422),
        ({"serial": "no-such-serial"}, 404),
        ({"brand_code": None, "serial": None}, 422),  # no cylinder named at all
        ({"label": "https://lpg.test/V/AAAA"}, 404),
    ],
)
def test_invalid_checks_are_refused_with_a_reason(api, world, extra, status):
    body = {key: value for key, value in _body(world, **extra).items() if value is not None}
    response = api.as_(world.inspector).post("/field-checks", json=body)
    assert response.status_code == status, response.json
    assert response.json["code"]


def test_fraud_violation_by_label_url_opens_an_anomaly(api, db, world):
    with db.transaction() as session:
        cylinder = session.get(Cylinder, world.cyl_a.id)
        _, label = h.fill_and_label(session, cylinder, world.station_a, h.at(0))
    body = _body(
        world,
        brand_code=None,
        serial=None,
        label=label_url("https://lpg.test", label.token),
        result="violations",
        violations=["appropriated_cylinder", "short_weight", "appropriated_cylinder"],
        notes="Vỏ bình bị mài nhãn",
    )
    body = {key: value for key, value in body.items() if value is not None}
    response = api.as_(world.inspector).post("/field-checks", json=body)
    assert response.status_code == 201, response.json
    assert response.json["violations"] == ["appropriated_cylinder", "short_weight"]
    with db.read() as session:
        anomaly = session.scalar(select(Anomaly))
        assert anomaly.kind == "field_check_violation" and anomaly.label_id == label.id
        assert anomaly.detail == {
            "field_check_id": response.json["id"],
            "violations": ["appropriated_cylinder"],
        }
        anomaly_id = anomaly.id
    queue = api.as_(world.inspector).get("/cases", query_string={"kind": "anomaly"}).json
    assert [item["id"] for item in queue["items"]] == [anomaly_id]
    history = api.as_(world.inspector).get(f"/cylinders/{world.cyl_a.id}/history").json
    assert {item["source"] for item in history["items"]} >= {"field_check", "anomaly"}


def test_compliant_and_minor_violations_open_no_anomaly(api, db, world):
    for violations in ([], ["short_weight"]):
        result = "violations" if violations else "compliant"
        body = _body(world, result=result, violations=violations)
        assert api.as_(world.inspector).post("/field-checks", json=body).status_code == 201
    with db.read() as session:
        assert session.scalar(select(Anomaly)) is None


def test_only_inspectors_and_admins_record_and_read(api, world):
    body = _body(world)
    for user in (world.trader_a, world.station_user_a, world.shop_user):
        assert api.as_(user).post("/field-checks", json=body).status_code == 403
        assert api.as_(user).get("/field-checks").status_code == 403
    assert api.as_(world.admin).post("/field-checks", json=body).status_code == 201


def test_listing_filters_by_violation_result_and_cylinder(api, world):
    inspector = api.as_(world.inspector)
    inspector.post("/field-checks", json=_body(world))
    inspector.post(
        "/field-checks",
        json=_body(world, result="violations", violations=["expired_inspection", "no_label"]),
    )
    inspector.post(
        "/field-checks",
        json=_body(
            world,
            brand_code="BHGAS",
            serial="BH-000001",
            result="violations",
            violations=["no_label"],
        ),
    )
    assert inspector.get("/field-checks").json["total"] == 3
    by_violation = inspector.get("/field-checks", query_string={"violation": "no_label"}).json
    assert by_violation["total"] == 2
    expired = inspector.get("/field-checks", query_string={"violation": "expired_inspection"})
    assert expired.json["total"] == 1 and expired.json["items"][0]["has_photo"] is False
    mine = inspector.get("/field-checks", query_string={"cylinder_id": world.cyl_b.id}).json
    assert mine["total"] == 1
    assert inspector.get("/field-checks", query_string={"result": "compliant"}).json["total"] == 1
    assert inspector.get("/field-checks", query_string={"violation": "x"}).status_code == 422


def test_concurrent_retries_store_one_check(db, world):
    principal = Principal(
        role="inspector", organisation_id=world.department.id, user_id=world.inspector.id
    )
    data = FieldCheckInput(
        entry_uuid=str(uuid.uuid4()),
        checked_at=h.at(0),
        place="Chợ",
        result="compliant",
        cylinder_id=world.cyl_a.id,
    )
    results, errors = [], []

    def record() -> None:
        try:
            results.append(record_field_check(db, principal, data))
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=record) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(created for _, created in results) == [False, False, False, True]
    with db.read() as session:
        assert len(session.scalars(select(FieldCheck)).all()) == 1
