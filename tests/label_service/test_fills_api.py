"""Recording fills over HTTP: created, duplicate, conflicts, and every refusal code."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select, update

from tests import factories as f
from tests.label_service.conftest import fill_body
from traceability.db import Database, utcnow
from traceability.labels.codec import parse_token
from traceability.models import AuditEntry, Cylinder, Fill, Label, LedgerEntry, Licence
from traceability.models.enums import CylinderStatus, LicenceStatus

pytestmark = pytest.mark.usefixtures("station_keys")


def post_fill(client: Any, headers: dict[str, str], body: dict[str, Any]) -> Any:
    return client.post("/api/v1/fills", json=body, headers=headers)


def count(db: Database, model: Any) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def test_fill_creates_fill_label_ledger_and_moves_cylinder(client, auth, world, db):
    response = post_fill(
        client, auth.headers(world.station_user_a), fill_body(world.cyl_a, gross_kg="26.20")
    )
    assert response.status_code == 201, response.json
    body = response.json
    assert body["status"] == "created"
    assert body["fill"]["net_kg"] == "12.00" and body["fill"]["hiring_org_id"] == world.org_a.id
    label = body["label"]
    assert label["url"].startswith("HTTPS://LPG.TEST/V/") and label["current"] is True
    assert len(label["label_id"]) == 16 and label["links"]["png"].endswith(".png")
    with db.read() as s:
        cyl = s.get(Cylinder, world.cyl_a.id)
        stored = s.scalar(select(Label))
        entry = s.scalar(select(LedgerEntry))
        audit_rows = s.scalars(select(AuditEntry).where(AuditEntry.action == "fill.record")).all()
        assert cyl.current_label_id == stored.id == label["id"]
        assert (cyl.holder_org_id, cyl.holder_facility_id) == (world.org_a.id, world.station_a.id)
        assert stored.manual_code == label["manual_code"].replace("-", "")
        assert entry.kind == "fill" and entry.fill_id == body["fill"]["id"]
        assert entry.label_id == stored.id and entry.actor_facility_id == world.station_a.id
        assert entry.counterparty_org_id == world.org_a.id
        assert entry.details["net_kg"] == "12.00" and entry.details["type"] == "12"
        assert len(audit_rows) == 1
        # The fill keeps the inspection due date its label carries (the ledgers show it).
        fill = s.get(Fill, body["fill"]["id"])
        assert fill.inspection_due == parse_token(stored.token).claims.inspection_due
        assert fill.inspection_due == world.cyl_a.inspection_due


def test_cylinder_by_brand_and_serial(client, auth, world):
    body = fill_body(brand_code="dpgas", serial="dp-000001")
    response = post_fill(client, auth.headers(world.station_user_a), body)
    assert response.status_code == 201, response.json
    assert response.json["fill"]["cylinder_id"] == world.cyl_a.id


def test_same_uuid_returns_original_and_creates_nothing(client, auth, world, db):
    headers = auth.headers(world.station_user_a)
    body = fill_body(world.cyl_a)
    first = post_fill(client, headers, body)
    again = post_fill(client, headers, body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json["status"] == "duplicate"
    assert again.json["fill"] == first.json["fill"]
    assert again.json["label"]["label_id"] == first.json["label"]["label_id"]
    assert (count(db, Fill), count(db, Label), count(db, LedgerEntry)) == (1, 1, 1)


def test_same_uuid_other_content_is_a_conflict(client, auth, world, db):
    headers = auth.headers(world.station_user_a)
    body = fill_body(world.cyl_a)
    assert post_fill(client, headers, body).status_code == 201
    response = post_fill(client, headers, body | {"net_kg": "11.50"})
    assert response.status_code == 409 and response.json["code"] == "fill_uuid_conflict"
    assert count(db, Fill) == 1


def test_other_station_reusing_a_uuid_learns_nothing(client, auth, world):
    body = fill_body(world.cyl_a)
    assert post_fill(client, auth.headers(world.station_user_a), body).status_code == 201
    response = post_fill(
        client, auth.headers(world.station_user_b), body | {"cylinder_id": world.cyl_b.id}
    )
    assert response.status_code == 409 and "fill" not in response.json


def _refusal(client, auth, world, body) -> dict[str, Any]:
    response = post_fill(client, auth.headers(world.station_user_a), body)
    assert response.status_code in (403, 409, 422), response.json
    assert response.json["message"]["vi"] and response.json["message"]["en"]
    return response.json


def test_unknown_cylinder(client, auth, world):
    assert (
        _refusal(client, auth, world, fill_body(cylinder_id=999999))["code"] == "cylinder_unknown"
    )
    body = fill_body(brand_code="DPGAS", serial="NOPE-1")
    assert _refusal(client, auth, world, body)["code"] == "cylinder_unknown"


def test_appropriation_without_contract_then_allowed_with_one(client, auth, world, db):
    body = fill_body(world.cyl_b)
    assert _refusal(client, auth, world, body)["code"] == "appropriation_no_contract"
    with db.transaction() as s:
        f.contract(s, world.org_b, world.station_a)
    response = post_fill(client, auth.headers(world.station_user_a), fill_body(world.cyl_b))
    assert response.status_code == 201, response.json
    assert response.json["fill"]["hiring_org_id"] == world.org_b.id


def test_expired_contract_is_appropriation(client, auth, world, db):
    with db.transaction() as s:
        f.contract(
            s,
            world.org_b,
            world.station_a,
            valid_from=f.today() - dt.timedelta(days=90),
            valid_to=f.today() - dt.timedelta(days=2),
        )
    assert (
        _refusal(client, auth, world, fill_body(world.cyl_b))["code"] == "appropriation_no_contract"
    )


@pytest.mark.parametrize("change", ["expired", "revoked"])
def test_station_licence_not_in_force(client, auth, world, db, change):
    with db.transaction() as s:
        values = (
            {"expires_on": f.today() - dt.timedelta(days=1)}
            if change == "expired"
            else {"status": LicenceStatus.REVOKED}
        )
        s.execute(update(Licence).where(Licence.organisation_id == world.org_a.id).values(**values))
    assert (
        _refusal(client, auth, world, fill_body(world.cyl_a))["code"]
        == "station_licence_not_in_force"
    )


def test_station_specific_licence_governs(client, auth, world, db):
    with db.transaction() as s:
        f.licence(s, world.org_a, facility=world.station_a, status=LicenceStatus.SUSPENDED)
    assert (
        _refusal(client, auth, world, fill_body(world.cyl_a))["code"]
        == "station_licence_not_in_force"
    )


def test_inspection_overdue_at_fill_time(client, auth, world, db):
    with db.transaction() as s:
        s.execute(
            update(Cylinder)
            .where(Cylinder.id == world.cyl_a.id)
            .values(inspection_due=f.today() - dt.timedelta(days=3))
        )
    assert _refusal(client, auth, world, fill_body(world.cyl_a))["code"] == "inspection_overdue"
    earlier = (utcnow() - dt.timedelta(days=10)).isoformat()
    response = post_fill(
        client, auth.headers(world.station_user_a), fill_body(world.cyl_a, filled_at=earlier)
    )
    assert response.status_code == 201, "a fill made before the due date (reported late) is fine"


@pytest.mark.parametrize("status", sorted(set(CylinderStatus) - {CylinderStatus.IN_SERVICE}))
def test_cylinder_not_in_service(client, auth, world, db, status):
    with db.transaction() as s:
        s.execute(update(Cylinder).where(Cylinder.id == world.cyl_a.id).values(status=status))
    assert (
        _refusal(client, auth, world, fill_body(world.cyl_a))["code"] == "cylinder_not_in_service"
    )


@pytest.mark.parametrize(
    ("net", "code"),
    [
        ("0", "net_mass_not_positive"),
        ("-1.00", "net_mass_not_positive"),
        ("12.31", "net_mass_over_capacity"),
    ],
)
def test_net_mass_rules(client, auth, world, net, code):
    assert _refusal(client, auth, world, fill_body(world.cyl_a, net_kg=net))["code"] == code


def test_net_within_tolerance_is_accepted(client, auth, world):
    response = post_fill(
        client, auth.headers(world.station_user_a), fill_body(world.cyl_a, net_kg="12.30")
    )
    assert response.status_code == 201


def test_gross_tare_net_mismatch(client, auth, world):
    # tare 14.20 + net 12.00 = 26.20; 0.31 kg off is refused, 0.30 accepted
    body = fill_body(world.cyl_a, gross_kg="26.51")
    assert _refusal(client, auth, world, body)["code"] == "gross_net_mismatch"
    ok = post_fill(
        client, auth.headers(world.station_user_a), fill_body(world.cyl_a, gross_kg="26.50")
    )
    assert ok.status_code == 201


def test_fill_in_future_beyond_skew(client, auth, world):
    later = (utcnow() + dt.timedelta(minutes=10)).isoformat()
    assert (
        _refusal(client, auth, world, fill_body(world.cyl_a, filled_at=later))["code"]
        == "fill_in_future"
    )
    soon = (utcnow() + dt.timedelta(minutes=2)).isoformat()
    assert (
        post_fill(
            client, auth.headers(world.station_user_a), fill_body(world.cyl_a, filled_at=soon)
        ).status_code
        == 201
    )


def test_unknown_hiring_org(client, auth, world):
    body = fill_body(world.cyl_a, hiring_org_id=987654)
    assert _refusal(client, auth, world, body)["code"] == "hiring_org_unknown"


def test_serial_too_long_for_a_label(client, auth, world, db):
    with db.transaction() as s:
        cyl = f.cylinder(s, world.org_a, world.brand_a, world.type12, serial="X" * 40)
    assert _refusal(client, auth, world, fill_body(cyl))["code"] == "label_fields_unencodable"


def test_no_signing_key(client, auth, world, db, station_keys):
    from label_service import keys
    from tests.label_service.conftest import SYSTEM_ADMIN

    keys.retire_key(db, SYSTEM_ADMIN, station_keys.a.id)
    # after the retirement no key covers the fill; before it, the retired key still signs (late)
    soon = (utcnow() + dt.timedelta(minutes=2)).isoformat()
    response = post_fill(
        client, auth.headers(world.station_user_a), fill_body(world.cyl_a, filled_at=soon)
    )
    assert response.status_code == 409 and response.json["code"] == "signing_key_unavailable"


def test_bad_payloads(client, auth, world):
    headers = auth.headers(world.station_user_a)
    cases = [
        fill_body(world.cyl_a, filled_at="2026-12-04T08:30:00"),  # no offset
        fill_body(world.cyl_a, client_uuid="not-a-uuid"),
        fill_body(world.cyl_a, net_kg="12.001"),
        fill_body(world.cyl_a, brand_code="DPGAS"),  # both references
        fill_body(brand_code="DPGAS"),  # serial missing
        fill_body(),  # no cylinder at all
        fill_body(world.cyl_a, net_kg="NaN"),
        fill_body(world.cyl_a, unexpected=1),
    ]
    for body in cases:
        response = post_fill(client, headers, body)
        assert response.status_code == 422, (body, response.json)
    assert (
        client.post(
            "/api/v1/fills", data="x", headers=headers | {"Content-Type": "text/plain"}
        ).status_code
        == 415
    )


def test_wrong_roles(client, auth, world, db):
    for user in (world.trader_a, world.admin, world.inspector, world.shop_user):
        assert post_fill(client, auth.headers(user), fill_body(world.cyl_a)).status_code == 403
    with db.transaction() as s:
        loose = f.user(s, world.org_a, "station", username="station_without_facility")
    response = post_fill(client, auth.headers(loose), fill_body(world.cyl_a))
    assert response.status_code == 403 and response.json["code"] == "not_a_filling_station"
    assert post_fill(client, {}, fill_body(world.cyl_a)).status_code == 401


def test_station_device_key_records_fills(client, world, db):
    import secrets

    from traceability.crypto import sha256_hex
    from traceability.models import DeviceKey

    secret = secrets.token_urlsafe(24)
    with db.transaction() as s:
        s.add(
            DeviceKey(
                prefix="devfill1",
                secret_hash=sha256_hex(secret),
                name="scale 1",
                role="station",
                organisation_id=world.org_a.id,
                facility_id=world.station_a.id,
            )
        )
    headers = {"Authorization": f"ApiKey lpg_devfill1.{secret}"}
    response = post_fill(client, headers, fill_body(world.cyl_a))
    assert response.status_code == 201, response.json
    with db.read() as s:
        assert s.scalar(select(Fill.recorded_by_device_id)) is not None
