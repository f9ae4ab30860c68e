"""Facilities over HTTP: scoping, admin-only writes, ETag flow, codes, licence standing."""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories as f
from traceability.registry import province_today

TODAY = province_today()


def new_facility(world, **overrides):
    body = {
        "organisation_id": world.org_a.id,
        "kind": "warehouse",
        "code": "kho-dp-01",
        "name": "Kho chứa chai Long Bình",
        "address": "KP 5, phường Long Bình, Biên Hòa",
        "admin_unit_id": world.district.id,
    }
    return body | overrides


def test_admin_registers_a_facility(api, world, audit_entries):
    response = api.as_(world.admin).post("/facilities", json=new_facility(world))
    assert response.status_code == 201, response.json
    body = response.json
    assert body["code"] == "KHO-DP-01"  # codes are stored upper-case
    assert body["organisation_name"] == world.org_a.name
    assert body["licence_status"] == "valid" and body["licensed_today"] is True
    (entry,) = audit_entries("facility", body["id"])
    assert entry.organisation_id == world.org_a.id
    assert entry.changes["kind"] == {"old": None, "new": "warehouse"}


@pytest.mark.parametrize("who", ["trader_a", "inspector", "station_user_a"])
def test_only_admins_register_facilities(api, world, who):
    response = api.as_(getattr(world, who)).post("/facilities", json=new_facility(world))
    assert response.status_code == 403


@pytest.mark.parametrize(
    "overrides",
    [
        {"kind": "garage"},
        {"code": "có dấu"},
        {"code": ""},
        {"organisation_id": None},
        {"name": "n" * 256},
        {"extra": 1},
    ],
)
def test_bad_facility_payloads_are_422(api, world, overrides):
    response = api.as_(world.admin).post("/facilities", json=new_facility(world, **overrides))
    assert response.status_code == 422


def test_duplicate_code_and_unknown_owner(api, world):
    admin = api.as_(world.admin)
    assert admin.post("/facilities", json=new_facility(world)).status_code == 201
    again = admin.post("/facilities", json=new_facility(world, code="KHO-DP-01"))
    assert again.status_code == 409 and again.json["code"] == "facility_code_taken"
    orphan = admin.post("/facilities", json=new_facility(world, code="X1", organisation_id=99999))
    assert orphan.status_code == 422 and orphan.json["code"] == "organisation_unknown"


def test_listing_is_scoped_and_filtered(api, world):
    mine = api.as_(world.trader_a).get("/facilities").json
    assert {item["organisation_id"] for item in mine["items"]} == {world.org_a.id}
    assert api.as_(world.trader_a).get(f"/facilities/{world.station_b.id}").status_code == 404
    assert api.as_(world.station_user_b).get(f"/facilities/{world.shop.id}").status_code == 404
    stations = api.as_(world.inspector).get("/facilities?kind=filling_station").json
    assert stations["total"] == 2
    found = api.as_(world.inspector).get("/facilities?q=tram chiet bien hoa").json["items"]
    assert [item["id"] for item in found] == [world.station_b.id]
    by_org = api.as_(world.inspector).get(f"/facilities?organisation_id={world.retailer.id}").json
    assert [item["id"] for item in by_org["items"]] == [world.shop.id]
    assert api.as_(world.inspector).get("/facilities?kind=garage").status_code == 422
    assert api.as_(world.inspector).get("/facilities?per_page=1000").status_code == 422


def test_patch_with_etag(api, world, audit_entries):
    admin = api.as_(world.admin)
    url = f"/facilities/{world.shop.id}"
    first = admin.get(url)
    assert first.headers["ETag"] == '"v1"'
    assert admin.patch(url, json={"name": "Mới"}).status_code == 428
    moved = admin.patch(
        url, json={"admin_unit_id": world.district.id}, headers={"If-Match": first.headers["ETag"]}
    )
    assert moved.status_code == 200 and moved.json["version"] == 2
    stale = admin.patch(url, json={"name": "Cũ"}, headers={"If-Match": first.headers["ETag"]})
    assert stale.status_code == 412
    assert audit_entries("facility", world.shop.id)[-1].changes == {
        "admin_unit_id": {"old": None, "new": world.district.id}
    }
    # kind and owner cannot be changed by PATCH (unknown fields)
    refused = admin.patch(url, json={"kind": "depot"}, headers={"If-Match": '"v2"'})
    assert refused.status_code == 422


def test_patch_code_collision_and_roles(api, world):
    admin = api.as_(world.admin)
    taken = admin.get(f"/facilities/{world.station_a.id}").json["code"]
    response = admin.patch(
        f"/facilities/{world.station_b.id}", json={"code": taken}, headers={"If-Match": '"v1"'}
    )
    assert response.status_code == 409 and response.json["code"] == "facility_code_taken"
    for who in (world.trader_a, world.inspector):
        response = api.as_(who).patch(
            f"/facilities/{world.station_a.id}", json={"name": "X"}, headers={"If-Match": '"v1"'}
        )
        assert response.status_code == 403


def test_a_facility_licence_governs_its_facility(api, world, db):
    with db.transaction() as s:
        f.licence(s, world.org_a, facility=world.station_a, expires_on=TODAY - dt.timedelta(days=1))
    station = api.as_(world.inspector).get(f"/facilities/{world.station_a.id}").json
    assert station["licence_status"] == "expired" and station["licensed_today"] is False
    # the organisation's own licence still stands
    org = api.as_(world.inspector).get(f"/organisations/{world.org_a.id}").json
    assert org["licence_status"] == "valid"
