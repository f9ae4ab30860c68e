"""Registering, reading, listing and editing cylinders through HTTP, per role and organisation."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from tests import factories as f
from traceability.models import AuditEntry, Cylinder

URL = "/api/v1/cylinders"


def new_cylinder(world, **overrides):
    body = {
        "brand_id": world.brand_a.id,
        "type_id": world.type12.id,
        "serial": "DP-2026/001.A",
        "manufacturer": "Gas Việt",
        "manufactured_on": "2020-05-01",
        "tare_kg": "14.50",
        "last_inspected_on": "2025-05-01",
        "inspection_due": "2030-05-01",
    }
    body.update(overrides)
    return body


def count(db, model=Cylinder):
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_trader_registers_own_cylinder_and_reads_it_back(client, world, auth, db):
    headers = auth.headers(world.trader_a)
    created = client.post(URL, json=new_cylinder(world), headers=headers)
    assert created.status_code == 201, created.json
    body = created.json
    assert body["owner_id"] == body["holder_org_id"] == world.org_a.id
    assert body["serial"] == "DP-2026/001.A" and body["tare_kg"] == "14.50"
    assert body["status"] == "in_service" and body["brand_code"] == "DPGAS"
    assert created.headers["ETag"] == '"v1"'
    read = client.get(created.headers["Location"], headers=headers)
    assert read.status_code == 200 and read.json == body and read.headers["ETag"] == '"v1"'
    with db.read() as session:
        row = session.get(Cylinder, body["id"])
        assert row.serial_search == "dp-2026/001.a"
        entry = session.scalars(select(AuditEntry).where(AuditEntry.entity == "cylinder")).one()
        assert entry.action == "create" and entry.actor_user_id == world.trader_a.id
        assert entry.changes["serial"] == {"old": None, "new": "DP-2026/001.A"}


def test_admin_registers_for_any_owner_but_must_name_it(client, world, auth):
    headers = auth.headers(world.admin)
    missing = client.post(URL, json=new_cylinder(world), headers=headers)
    assert missing.status_code == 422 and missing.json["code"] == "owner_required"
    created = client.post(URL, json=new_cylinder(world, owner_id=world.org_a.id), headers=headers)
    assert created.status_code == 201 and created.json["owner_id"] == world.org_a.id


@pytest.mark.parametrize("who", ["inspector", "station_user_a", "shop_user"])
def test_roles_without_cylinder_write_are_refused(client, world, auth, db, who):
    before = count(db)
    response = client.post(URL, json=new_cylinder(world), headers=auth.headers(getattr(world, who)))
    assert response.status_code == 403 and response.json["code"] == "forbidden"
    assert count(db) == before


def test_trader_cannot_register_for_another_org_or_with_its_brand(client, world, auth, db):
    headers = auth.headers(world.trader_a)
    foreign_owner = client.post(
        URL, json=new_cylinder(world, owner_id=world.org_b.id), headers=headers
    )
    assert foreign_owner.status_code == 404
    foreign_brand = client.post(
        URL, json=new_cylinder(world, brand_id=world.brand_b.id), headers=headers
    )
    assert foreign_brand.status_code == 422
    assert foreign_brand.json["field_codes"] == {"brand_id": "brand_not_owned"}
    assert count(db) == 2


@pytest.mark.parametrize("serial", ["dp-000001", "DP-000001", "ĐP-000001"[1:].join(["D", ""])])
def test_duplicate_serial_per_owner_is_a_conflict_even_in_other_case(client, world, auth, serial):
    response = client.post(
        URL, json=new_cylinder(world, serial=serial), headers=auth.headers(world.trader_a)
    )
    assert response.status_code == 409 and response.json["code"] == "duplicate_serial"


def test_same_serial_for_another_owner_is_fine(client, world, auth):
    response = client.post(
        URL, json=new_cylinder(world, serial="BH-000001"), headers=auth.headers(world.trader_a)
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"serial": "DP 001"}, "serial", "serial_format"),
        ({"serial": "DP\x07001"}, "serial", "control_characters"),
        ({"serial": "A" * 33}, "serial", "serial_format"),
        ({"serial": "-DP1"}, "serial", "serial_format"),
        ({"serial": "ĐP-001"}, "serial", "serial_format"),
        ({"tare_kg": "0.5"}, "tare_kg", "tare_out_of_range"),
        ({"tare_kg": "200.01"}, "tare_kg", "tare_out_of_range"),
        ({"tare_kg": "14.555"}, "tare_kg", "tare_out_of_range"),
        ({"inspection_due": "2019-01-01"}, "inspection_due", "date_order"),
        (
            {"manufactured_on": "2099-01-01", "inspection_due": "2099-06-01"},
            "manufactured_on",
            "date_out_of_range",
        ),
        ({"last_inspected_on": "2019-01-01"}, "last_inspected_on", "date_order"),
        ({"inspection_due": "2090-01-01"}, "inspection_due", "date_out_of_range"),
        ({"manufacturer": "Gas\x07Việt"}, "manufacturer", None),
        ({"type_id": 999}, "type_id", "unknown_type"),
        ({"brand_id": 999}, "brand_id", "unknown_brand"),
    ],
)
def test_invalid_fields_are_refused_with_a_code(client, world, auth, db, overrides, field, code):
    response = client.post(
        URL, json=new_cylinder(world, **overrides), headers=auth.headers(world.trader_a)
    )
    assert response.status_code == 422, response.json
    assert response.json["errors"][field]
    if code is not None:  # None: refused by the schema before the domain's rules
        assert response.json["field_codes"][field] == code
    assert count(db) == 2


def test_unknown_and_wrongly_typed_fields_are_refused(client, world, auth):
    headers = auth.headers(world.trader_a)
    unknown = client.post(URL, json=new_cylinder(world, status="stolen"), headers=headers)
    assert unknown.status_code == 422 and "status" in unknown.json["errors"]
    wrong = client.post(URL, json=new_cylinder(world, brand_id="1"), headers=headers)
    assert wrong.status_code == 422 and "brand_id" in wrong.json["errors"]


def test_other_organisations_cylinder_is_not_found(client, world, auth):
    for who in ("trader_a", "station_user_a"):
        headers = auth.headers(getattr(world, who))
        assert client.get(f"{URL}/{world.cyl_b.id}", headers=headers).status_code == 404
        assert client.get(f"{URL}/{world.cyl_a.id}", headers=headers).status_code == 200
    patched = client.patch(
        f"{URL}/{world.cyl_b.id}",
        json={"manufacturer": "X"},
        headers={**auth.headers(world.trader_a), "If-Match": '"v1"'},
    )
    assert patched.status_code == 404
    assert client.get(f"{URL}/999999", headers=auth.headers(world.admin)).status_code == 404


def test_list_is_separated_by_organisation_and_filters(client, world, auth, db):
    with db.transaction() as session:
        f.cylinder(
            session,
            world.org_a,
            world.brand_a,
            world.type45,
            serial="DP-45-0001",
            inspection_due=dt.date(2026, 12, 20),
        )
        f.cylinder(
            session, world.org_a, world.brand_a, world.type12, serial="DP-12-0002", status="stolen"
        )

    def serials(who, **params):
        response = client.get(URL, query_string=params, headers=auth.headers(getattr(world, who)))
        assert response.status_code == 200, response.json
        return sorted(item["serial"] for item in response.json["items"])

    assert serials("trader_a") == ["DP-000001", "DP-12-0002", "DP-45-0001"]
    assert serials("station_user_b") == ["BH-000001"]
    assert serials("shop_user") == []
    assert serials("inspector", per_page=2, page=2) == ["DP-12-0002", "DP-45-0001"]
    assert serials("trader_a", owner_id=world.org_b.id) == []
    assert serials("admin", brand="bhgas") == ["BH-000001"]
    assert serials("admin", brand_id=world.brand_a.id, type="45") == ["DP-45-0001"]
    assert serials("admin", status="stolen") == ["DP-12-0002"]
    assert serials("admin", serial="dp-12") == ["DP-12-0002"]
    assert serials("admin", serial="0001") == ["BH-000001", "DP-000001", "DP-45-0001"]
    assert serials("admin", serial="0001", serial_match="prefix") == []
    assert serials("admin", serial="bh-000001", serial_match="exact") == ["BH-000001"]
    assert serials("admin", serial="%") == []
    assert serials("admin", inspection_due_before="2027-01-01") == ["DP-45-0001"]
    page = client.get(URL, query_string={"per_page": 1}, headers=auth.headers(world.admin)).json
    assert page["total"] == 4 and page["per_page"] == 1 and len(page["items"]) == 1
    too_big = client.get(URL, query_string={"per_page": 10_000}, headers=auth.headers(world.admin))
    assert too_big.status_code == 422


def test_patch_needs_a_current_etag(client, world, auth, db):
    headers = auth.headers(world.trader_a)
    url = f"{URL}/{world.cyl_a.id}"
    missing = client.patch(url, json={"tare_kg": "15.00"}, headers=headers)
    assert missing.status_code == 428 and missing.json["code"] == "precondition_required"
    etag = client.get(url, headers=headers).headers["ETag"]
    first = client.patch(
        url,
        json={"tare_kg": "15.00", "manufacturer": "Sun Gas"},
        headers={**headers, "If-Match": etag},
    )
    assert first.status_code == 200, first.json
    assert first.json["tare_kg"] == "15.00" and first.headers["ETag"] == '"v2"'
    stale = client.patch(url, json={"tare_kg": "16.00"}, headers={**headers, "If-Match": etag})
    assert stale.status_code == 412 and stale.json["current_etag"] == '"v2"'
    with db.read() as session:
        changes = (
            session.scalars(select(AuditEntry).where(AuditEntry.action == "update")).one().changes
        )
    assert changes["tare_kg"] == {"old": "14.20", "new": "15.00"}
    assert set(changes) == {"tare_kg", "manufacturer"}


def test_patch_cannot_change_owner_or_serial_and_checks_rules(client, world, auth):
    headers = {**auth.headers(world.trader_a), "If-Match": '"v1"'}
    url = f"{URL}/{world.cyl_a.id}"
    for body in ({"serial": "NEW-1"}, {"owner_id": world.org_b.id}, {"holder_org_id": 1}):
        response = client.patch(url, json=body, headers=headers)
        assert response.status_code == 422 and list(response.json["errors"]) == list(body)
    bad = client.patch(url, json={"inspection_due": "2000-01-01"}, headers=headers)
    assert bad.status_code == 422 and bad.json["field_codes"] == {"inspection_due": "date_order"}


def test_inspector_cannot_edit_and_only_admin_overrides_status(client, world, auth, db):
    url = f"{URL}/{world.cyl_a.id}"
    inspector = client.patch(
        url,
        json={"manufacturer": "X"},
        headers={**auth.headers(world.inspector), "If-Match": '"v1"'},
    )
    assert inspector.status_code == 403
    trader = client.patch(
        url,
        json={"status": "scrapped", "status_reason": "rusty"},
        headers={**auth.headers(world.trader_a), "If-Match": '"v1"'},
    )
    assert trader.status_code == 403 and trader.json["code"] == "status_change_not_allowed"
    admin = {**auth.headers(world.admin), "If-Match": '"v1"'}
    no_reason = client.patch(url, json={"status": "seized"}, headers=admin)
    assert no_reason.status_code == 422 and no_reason.json["code"] == "status_reason_required"
    done = client.patch(
        url, json={"status": "seized", "status_reason": "Biên bản 12/QLTT"}, headers=admin
    )
    assert done.status_code == 200 and done.json["status"] == "seized"
    with db.read() as session:
        changes = (
            session.scalars(select(AuditEntry).where(AuditEntry.action == "status_override"))
            .one()
            .changes
        )
    assert changes["status"] == {"old": "in_service", "new": "seized"}
    assert changes["status_reason"] == "Biên bản 12/QLTT"


def test_unchanged_patch_keeps_the_version(client, world, auth):
    headers = {**auth.headers(world.trader_a), "If-Match": '"v1"'}
    response = client.patch(f"{URL}/{world.cyl_a.id}", json={"tare_kg": "14.2"}, headers=headers)
    assert response.status_code == 200 and response.headers["ETag"] == '"v1"'
