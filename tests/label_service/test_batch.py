"""Batches: per-item answers, all-or-nothing items, Idempotency-Key, supersession, late fills."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import func, select

from tests.label_service.conftest import fill_body
from traceability.db import utcnow
from traceability.models import Cylinder, Fill, IdempotencyRecord, Label, LedgerEntry

pytestmark = pytest.mark.usefixtures("station_keys")


def _ago(**delta: float) -> str:
    return (utcnow() - dt.timedelta(**delta)).isoformat()


def _counts(db):
    with db.read() as s:
        return tuple(
            s.scalar(select(func.count()).select_from(m)) for m in (Fill, Label, LedgerEntry)
        )


def test_batch_answers_per_item(client, auth, world, db):
    good = fill_body(world.cyl_a)
    fills = [good, fill_body(world.cyl_b), fill_body(world.cyl_a, net_kg="99.00"), good]
    response = client.post(
        "/api/v1/fills/batch", json={"fills": fills}, headers=auth.headers(world.station_user_a)
    )
    assert response.status_code == 200, response.json
    body = response.json
    assert (body["created"], body["duplicate"], body["rejected"]) == (1, 1, 2)
    items = body["items"]
    assert [i["status"] for i in items] == ["created", "rejected", "rejected", "duplicate"]
    assert items[1]["code"] == "appropriation_no_contract" and "fill" not in items[1]
    assert items[2]["code"] == "net_mass_over_capacity" and items[2]["message"]["vi"]
    assert items[3]["fill"]["id"] == items[0]["fill"]["id"]
    assert items[3]["label"]["label_id"] == items[0]["label"]["label_id"]
    assert _counts(db) == (1, 1, 1), "rejected items wrote nothing"


def test_batch_retry_replays_duplicates(client, auth, world, db):
    headers = auth.headers(world.station_user_a)
    fills = [
        fill_body(world.cyl_a, filled_at=_ago(hours=3)),
        fill_body(world.cyl_a, filled_at=_ago(hours=2)),
    ]
    first = client.post("/api/v1/fills/batch", json={"fills": fills}, headers=headers).json
    again = client.post("/api/v1/fills/batch", json={"fills": fills}, headers=headers).json
    assert again["duplicate"] == 2 and again["created"] == 0
    assert [i["fill"]["id"] for i in again["items"]] == [i["fill"]["id"] for i in first["items"]]
    assert _counts(db) == (2, 2, 2)


def test_same_uuid_twice_in_one_batch_with_other_content(client, auth, world):
    body = fill_body(world.cyl_a)
    fills = [body, body | {"net_kg": "11.00"}]
    items = client.post(
        "/api/v1/fills/batch", json={"fills": fills}, headers=auth.headers(world.station_user_a)
    ).json["items"]
    assert [i["status"] for i in items] == ["created", "rejected"]
    assert items[1]["code"] == "fill_uuid_conflict"


def test_idempotency_key_replays_the_stored_answer(client, auth, world, db):
    headers = auth.headers(world.station_user_a) | {"Idempotency-Key": "batch-0001"}
    fills = {"fills": [fill_body(world.cyl_a)]}
    first = client.post("/api/v1/fills/batch", json=fills, headers=headers)
    replay = client.post("/api/v1/fills/batch", json=fills, headers=headers)
    assert first.status_code == replay.status_code == 200
    assert replay.json == first.json and replay.json["created"] == 1, "replayed, not re-evaluated"
    other = client.post(
        "/api/v1/fills/batch", json={"fills": [fill_body(world.cyl_a)]}, headers=headers
    )
    assert other.status_code == 422 and other.json["code"] == "idempotency_key_reused"
    bad = client.post(
        "/api/v1/fills/batch", json=fills, headers=headers | {"Idempotency-Key": "x" * 200}
    )
    assert bad.status_code == 422
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(IdempotencyRecord)) == 1
    assert _counts(db) == (1, 1, 1)


def test_batch_limits(client, auth, world):
    headers = auth.headers(world.station_user_a)
    assert (
        client.post("/api/v1/fills/batch", json={"fills": []}, headers=headers).status_code == 422
    )
    many = [fill_body(world.cyl_a) for _ in range(501)]
    assert (
        client.post("/api/v1/fills/batch", json={"fills": many}, headers=headers).status_code == 422
    )


def test_new_fill_supersedes_previous_label(client, auth, world, db):
    headers = auth.headers(world.station_user_a)
    old = client.post(
        "/api/v1/fills", json=fill_body(world.cyl_a, filled_at=_ago(days=2)), headers=headers
    ).json
    new = client.post(
        "/api/v1/fills", json=fill_body(world.cyl_a, filled_at=_ago(hours=1)), headers=headers
    ).json
    record = client.get(f"/api/v1/labels/{old['label']['label_id']}", headers=headers).json
    assert record["current"] is False and record["superseded_by"] == new["label"]["label_id"]
    with db.read() as s:
        assert s.get(Cylinder, world.cyl_a.id).current_label_id == new["label"]["id"]


def test_late_offline_fill_does_not_supersede_newer_label(client, auth, world, db):
    """A device offline for days delivers an older fill after a newer one was recorded."""
    headers = auth.headers(world.station_user_a)
    newer = client.post(
        "/api/v1/fills", json=fill_body(world.cyl_a, filled_at=_ago(hours=1)), headers=headers
    ).json
    late = client.post(
        "/api/v1/fills", json=fill_body(world.cyl_a, filled_at=_ago(days=3)), headers=headers
    )
    assert late.status_code == 201, "a late fill is still recorded (ledger 2 must be complete)"
    assert late.json["label"]["current"] is False
    assert late.json["label"]["superseded_by"] == newer["label"]["label_id"]
    newer_record = client.get(f"/api/v1/labels/{newer['label']['label_id']}", headers=headers).json
    assert newer_record["current"] is True
    with db.read() as s:
        assert s.get(Cylinder, world.cyl_a.id).current_label_id == newer["label"]["id"]
        kinds = s.scalars(select(LedgerEntry.details)).all()
        assert [d["late"] for d in kinds] == [False, True]


def test_late_and_new_in_one_batch_in_any_order(client, auth, world, db):
    headers = auth.headers(world.station_user_a)
    fills = [
        fill_body(world.cyl_a, filled_at=_ago(hours=1)),
        fill_body(world.cyl_a, filled_at=_ago(hours=5)),
    ]
    items = client.post("/api/v1/fills/batch", json={"fills": fills}, headers=headers).json["items"]
    assert items[0]["label"]["current"] is True and items[1]["label"]["current"] is False
    with db.read() as s:
        assert s.get(Cylinder, world.cyl_a.id).current_label_id == items[0]["label"]["id"]


def test_two_fills_of_one_cylinder_in_a_batch_chain_supersession(client, auth, world):
    headers = auth.headers(world.station_user_a)
    fills = [
        fill_body(world.cyl_a, filled_at=_ago(hours=5)),
        fill_body(world.cyl_a, filled_at=_ago(hours=1)),
    ]
    items = client.post("/api/v1/fills/batch", json={"fills": fills}, headers=headers).json["items"]
    assert items[0]["label"]["superseded_by"] == items[1]["label"]["label_id"]
    assert items[1]["label"]["current"] is True


def test_batch_mixing_uuid_spellings_is_one_fill(client, auth, world, db):
    body = fill_body(world.cyl_a, client_uuid=str(uuid.uuid4()).upper())
    items = client.post(
        "/api/v1/fills/batch",
        json={"fills": [body, body | {"client_uuid": body["client_uuid"].lower()}]},
        headers=auth.headers(world.station_user_a),
    ).json["items"]
    assert [i["status"] for i in items] == ["created", "duplicate"]
