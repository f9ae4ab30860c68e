"""Administrative units (a dated hierarchy surviving reforms), cylinder types and brands."""

from __future__ import annotations

import datetime as dt

import pytest

from traceability.registry import province_today

TODAY = province_today()
YESTERDAY = (TODAY - dt.timedelta(days=1)).isoformat()


def unit(code, name, level, parent_id=None, **extra):
    return {"code": code, "name": name, "level": level, "parent_id": parent_id} | extra


def test_every_role_reads_units_with_their_parent_chain(api, world):
    admin = api.as_(world.admin)
    commune = admin.post(
        "/admin-units", json=unit("26041", "Phường Tân Hiệp", "ward", world.district.id)
    )
    assert commune.status_code == 201, commune.json
    for who in (world.shop_user, world.trader_b, world.inspector):
        detail = api.as_(who).get(f"/admin-units/{commune.json['id']}")
        assert detail.status_code == 200
        assert [p["code"] for p in detail.json["parents"]] == ["731", "75"]
    assert api.as_(world.shop_user).get("/admin-units/999999").status_code == 404


def test_listing_filters_by_parent_level_and_name_without_accents(api, world):
    admin = api.as_(world.admin)
    admin.post("/admin-units", json=unit("26041", "Phường Tân Hiệp", "ward", world.district.id))
    admin.post("/admin-units", json=unit("26042", "Xã Phước Tân", "commune", world.district.id))
    children = admin.get(f"/admin-units?parent_id={world.district.id}").json
    assert children["total"] == 2
    wards = admin.get("/admin-units?level=ward").json["items"]
    assert [w["code"] for w in wards] == ["26041"]
    found = admin.get("/admin-units?q=phuoc tan").json["items"]
    assert [w["code"] for w in found] == ["26042"]


def test_a_reform_reparents_communes_then_closes_the_district(api, world, audit_entries):
    """The 2025 reform: districts abolished, communes placed directly under the province."""
    admin = api.as_(world.admin)
    commune = admin.post(
        "/admin-units", json=unit("26042", "Xã Phước Tân", "commune", world.district.id)
    ).json
    district_url = f"/admin-units/{world.district.id}"
    blocked = admin.patch(district_url, json={"valid_to": YESTERDAY})
    assert blocked.status_code == 422 and blocked.json["code"] == "admin_unit_has_open_children"
    moved = admin.patch(f"/admin-units/{commune['id']}", json={"parent_id": world.province.id})
    assert moved.status_code == 200 and moved.json["parent_id"] == world.province.id
    closed = admin.patch(district_url, json={"valid_to": YESTERDAY})
    assert closed.status_code == 200 and closed.json["open_today"] is False
    assert world.district.id not in [u["id"] for u in admin.get("/admin-units").json["items"]]
    everything = admin.get("/admin-units?include_closed=true").json["items"]
    assert world.district.id in [u["id"] for u in everything]
    # new organisations cannot be placed in the abolished district
    refused = admin.post(
        "/organisations",
        json={"name": "Gas Mới", "trade_roles": ["retailer"], "admin_unit_id": world.district.id},
    )
    assert refused.status_code == 422 and refused.json["code"] == "admin_unit_closed"
    change = audit_entries("admin_unit", commune["id"])[-1]
    assert change.changes == {"parent_id": {"old": world.district.id, "new": world.province.id}}


def test_reparenting_into_its_own_subtree_is_refused(api, world):
    admin = api.as_(world.admin)
    url = f"/admin-units/{world.province.id}"
    below = admin.patch(url, json={"parent_id": world.district.id})
    assert below.status_code == 422 and below.json["code"] == "admin_unit_cycle"
    itself = admin.patch(url, json={"parent_id": world.province.id})
    assert itself.status_code == 422 and itself.json["code"] == "admin_unit_cycle"


def test_unit_validation_and_conflicts(api, world):
    admin = api.as_(world.admin)
    duplicate = admin.post("/admin-units", json=unit("731", "Trùng", "district"))
    assert duplicate.status_code == 409 and duplicate.json["code"] == "admin_unit_code_taken"
    backwards = admin.post(
        "/admin-units",
        json=unit("X9", "Ngược", "commune", valid_from=TODAY.isoformat(), valid_to=YESTERDAY),
    )
    assert backwards.status_code == 422 and backwards.json["code"] == "invalid_period"
    orphan = admin.post("/admin-units", json=unit("X8", "Mồ côi", "commune", 999999))
    assert orphan.status_code == 422 and orphan.json["code"] == "admin_unit_unknown"
    assert admin.post("/admin-units", json=unit("X7", "Cấp", "Huyện Lạ")).status_code == 422


@pytest.mark.parametrize("who", ["trader_a", "inspector", "shop_user"])
def test_only_admins_change_units(api, world, who):
    client = api.as_(getattr(world, who))
    assert client.post("/admin-units", json=unit("X1", "Xã", "commune")).status_code == 403
    response = client.patch(f"/admin-units/{world.district.id}", json={"name": "Đổi"})
    assert response.status_code == 403


def test_cylinder_types(api, world, audit_entries):
    admin = api.as_(world.admin)
    body = {
        "code": "48",
        "name": "Bình 48 kg",
        "nominal_kg": 48,
        "water_capacity_l": "112.5",
        "standard": "TCVN 6292:1997",
    }
    created = admin.post("/cylinder-types", json=body)
    assert created.status_code == 201, created.json
    assert created.json["nominal_kg"] == "48.00"
    assert (
        audit_entries("cylinder_type", created.json["id"])[0].changes["nominal_kg"]["new"]
        == "48.00"
    )
    listed = api.as_(world.shop_user).get("/cylinder-types").json
    assert [t["code"] for t in listed] == ["12", "45", "48"]
    assert admin.post("/cylinder-types", json=body).json["code"] == "cylinder_type_code_taken"
    for bad in (0, -1, 100.01, "NaN", "Infinity", "1e999999", "abc"):
        response = admin.post("/cylinder-types", json=body | {"code": "Z", "nominal_kg": bad})
        assert response.status_code == 422, (bad, response.json)
    assert (
        api.as_(world.trader_a).post("/cylinder-types", json=body | {"code": "Y"}).status_code
        == 403
    )


def test_brands(api, world, audit_entries):
    admin = api.as_(world.admin)
    created = admin.post(
        "/brands",
        json={"organisation_id": world.org_a.id, "code": "picnic-gas", "name": "Picnic Gas"},
    )
    assert created.status_code == 201, created.json
    assert created.json["code"] == "PICNIC-GAS"
    assert audit_entries("brand", created.json["id"])[0].organisation_id == world.org_a.id
    duplicate = admin.post(
        "/brands", json={"organisation_id": world.org_b.id, "code": "DPGAS", "name": "Giả"}
    )
    assert duplicate.status_code == 409 and duplicate.json["code"] == "brand_code_taken"
    for code in ("A", "X" * 17, "ĐẠI", "V GAS", "-AB"):
        response = admin.post(
            "/brands", json={"organisation_id": world.org_a.id, "code": code, "name": "n"}
        )
        assert response.status_code == 422, code
    own = api.as_(world.trader_a).get("/brands").json
    assert {b["code"] for b in own} == {"DPGAS", "PICNIC-GAS"}
    assert len(api.as_(world.inspector).get("/brands").json) == 3
    foreign = api.as_(world.trader_a).post(
        "/brands", json={"organisation_id": world.org_a.id, "code": "NEWB", "name": "n"}
    )
    assert foreign.status_code == 403
