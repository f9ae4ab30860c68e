"""Filling contracts over HTTP: who may make, see and end them, and the rules they obey."""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories as f
from traceability.models.enums import TradeRole
from traceability.registry import province_today

TODAY = province_today()


def days(n: int) -> str:
    return (TODAY + dt.timedelta(days=n)).isoformat()


def contract_body(world, **overrides):
    return {
        "station_id": world.station_b.id,
        "valid_from": days(0),
        "valid_to": days(365),
    } | overrides


def test_owner_trader_authorises_another_orgs_station(api, world, audit_entries):
    response = api.as_(world.trader_a).post(
        "/filling-contracts", json=contract_body(world, reference="HĐ 01/2026")
    )
    assert response.status_code == 201, response.json
    body = response.json
    assert body["owner_id"] == world.org_a.id and body["station_organisation_id"] == world.org_b.id
    assert body["in_force_today"] is True and body["status"] == "active"
    (entry,) = audit_entries("filling_contract", body["id"])
    assert entry.action == "create" and entry.organisation_id == world.org_a.id
    assert entry.changes["station_id"] == {"old": None, "new": world.station_b.id}


def test_admin_makes_a_contract_for_an_owner(api, world):
    response = api.as_(world.admin).post(
        "/filling-contracts", json=contract_body(world, owner_id=world.org_a.id)
    )
    assert response.status_code == 201 and response.json["owner_id"] == world.org_a.id


@pytest.mark.parametrize("who", ["inspector", "station_user_a", "shop_user"])
def test_roles_without_contract_rights_are_refused(api, world, who):
    response = api.as_(getattr(world, who)).post("/filling-contracts", json=contract_body(world))
    assert response.status_code == 403


def test_a_trader_cannot_contract_for_another_owner(api, world):
    response = api.as_(world.trader_b).post(
        "/filling-contracts",
        json=contract_body(world, owner_id=world.org_a.id, station_id=world.station_b.id),
    )
    assert response.status_code == 404


def test_rules_own_station_non_station_period_and_past(api, world):
    trader = api.as_(world.trader_a)
    own = trader.post(
        "/filling-contracts", json=contract_body(world, station_id=world.station_a.id)
    )
    assert own.status_code == 422 and own.json["code"] == "contract_own_station"
    shop = trader.post("/filling-contracts", json=contract_body(world, station_id=world.shop.id))
    assert shop.status_code == 422 and shop.json["code"] == "contract_station_invalid"
    unknown = trader.post("/filling-contracts", json=contract_body(world, station_id=999999))
    assert unknown.status_code == 422 and unknown.json["code"] == "contract_station_invalid"
    backwards = trader.post(
        "/filling-contracts", json=contract_body(world, valid_from=days(10), valid_to=days(5))
    )
    assert backwards.status_code == 422 and backwards.json["code"] == "invalid_period"
    past = trader.post(
        "/filling-contracts", json=contract_body(world, valid_from=days(-30), valid_to=days(-1))
    )
    assert past.status_code == 422 and past.json["code"] == "contract_already_ended"
    bad_date = trader.post("/filling-contracts", json=contract_body(world, valid_to="31/12/2027"))
    assert bad_date.status_code == 422


def test_only_cylinder_owners_make_contracts(api, world):
    response = api.as_(world.admin).post(
        "/filling-contracts",
        json={
            "owner_id": world.retailer.id,
            "station_id": world.station_b.id,
            "valid_from": days(0),
            "valid_to": days(10),
        },
    )
    assert response.status_code == 422
    assert response.json["code"] == "contract_owner_not_cylinder_owner"
    assert TradeRole.CYLINDER_OWNER not in world.retailer.trade_roles
    # an administrator without owner_id acts for the department, which owns no cylinders
    department = api.as_(world.admin).post("/filling-contracts", json=contract_body(world))
    assert department.json["code"] == "contract_owner_not_cylinder_owner"


def test_overlapping_active_contracts_conflict_but_consecutive_ones_do_not(api, world):
    trader = api.as_(world.trader_a)
    assert trader.post("/filling-contracts", json=contract_body(world)).status_code == 201
    overlap = trader.post(
        "/filling-contracts", json=contract_body(world, valid_from=days(300), valid_to=days(700))
    )
    assert overlap.status_code == 409 and overlap.json["code"] == "contract_overlaps"
    after = trader.post(
        "/filling-contracts", json=contract_body(world, valid_from=days(366), valid_to=days(700))
    )
    assert after.status_code == 201


def test_both_parties_see_it_others_do_not(api, world, db):
    with db.transaction() as s:
        f.contract(s, world.org_a, world.station_b)
        third = f.organisation(s, "Công ty Gas Thứ Ba")
        third_trader = f.user(s, third, "trader")
    for who, expected in (
        (world.trader_a, 1),
        (world.trader_b, 1),
        (world.station_user_b, 1),
        (world.inspector, 1),
        (third_trader, 0),
        (world.shop_user, 0),
    ):
        assert api.as_(who).get("/filling-contracts").json["total"] == expected, who.username


def test_termination_by_owner_only(api, world, db, audit_entries):
    with db.transaction() as s:
        contract_id = f.contract(s, world.org_a, world.station_b).id
        third = f.organisation(s, "Công ty Gas Thứ Ba")
        third_trader = f.user(s, third, "trader")
    url = f"/filling-contracts/{contract_id}/terminate"
    assert api.as_(world.trader_b).post(url, json={}).status_code == 403  # the station's side
    assert api.as_(third_trader).post(url, json={}).status_code == 404
    assert api.as_(world.inspector).post(url, json={}).status_code == 403
    ended = api.as_(world.trader_a).post(url, json={"reason": "Hết nhu cầu"})
    assert ended.status_code == 200, ended.json
    assert ended.json["status"] == "terminated" and ended.json["in_force_today"] is False
    again = api.as_(world.admin).post(url, json={})
    assert again.status_code == 409 and again.json["code"] == "contract_already_terminated"
    (entry,) = [
        e for e in audit_entries("filling_contract", contract_id) if e.action == "terminate"
    ]
    assert entry.changes == {
        "status": {"old": "active", "new": "terminated"},
        "reason": "Hết nhu cầu",
    }
    assert (
        api.as_(world.admin).post("/filling-contracts/999999/terminate", json={}).status_code == 404
    )


def test_listing_filters(api, world, db):
    with db.transaction() as s:
        f.contract(s, world.org_a, world.station_b)
        f.contract(
            s,
            world.org_b,
            world.station_a,
            valid_from=TODAY - dt.timedelta(days=100),
            valid_to=TODAY - dt.timedelta(days=1),
        )
    inspector = api.as_(world.inspector)
    assert inspector.get("/filling-contracts").json["total"] == 2
    current = inspector.get(f"/filling-contracts?in_force_on={TODAY.isoformat()}").json
    assert [c["owner_id"] for c in current["items"]] == [world.org_a.id]
    by_station = inspector.get(f"/filling-contracts?station_id={world.station_a.id}").json
    assert by_station["total"] == 1 and by_station["items"][0]["in_force_today"] is False
    assert inspector.get("/filling-contracts?status=paused").status_code == 422
