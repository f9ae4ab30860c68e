"""Organisations over HTTP: scoping, admin-only writes, ETag/If-Match, licences and their standing."""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories as f
from traceability.registry import province_today

TODAY = province_today()


def new_org(**overrides):
    body = {
        "name": "Công ty TNHH Gas Phước Tân",
        "tax_code": "3601234567",
        "trade_roles": ["wholesaler", "retailer"],
        "address": "Ấp Vườn Dừa, xã Phước Tân, Biên Hòa",
    }
    return body | overrides


def test_admin_registers_an_organisation_and_the_audit_log_has_it(api, world, audit_entries):
    response = api.as_(world.admin).post("/organisations", json=new_org())
    assert response.status_code == 201, response.json
    body = response.json
    assert body["licence_status"] == "none" and body["licensed_today"] is False
    assert response.headers["ETag"] == '"v1"' and body["version"] == 1
    (entry,) = audit_entries("organisation", body["id"])
    assert entry.action == "create" and entry.actor_user_id == world.admin.id
    assert entry.changes["tax_code"] == {"old": None, "new": "3601234567"}


@pytest.mark.parametrize("who", ["trader_a", "inspector", "station_user_a", "shop_user"])
def test_only_admins_register_organisations(api, world, who):
    response = api.as_(getattr(world, who)).post("/organisations", json=new_org())
    assert response.status_code == 403
    assert response.json["code"] == "forbidden"


def test_duplicate_tax_code_is_a_clear_conflict(api, world):
    api.as_(world.admin).post("/organisations", json=new_org())
    again = api.as_(world.admin).post("/organisations", json=new_org(name="Khác"))
    assert again.status_code == 409 and again.json["code"] == "tax_code_taken"


@pytest.mark.parametrize(
    "body",
    [
        new_org(colour="red"),  # unknown field
        new_org(name=""),
        new_org(name="x" * 256),
        new_org(name="Gas\x07Bell"),
        new_org(tax_code="12345"),
        new_org(trade_roles=[]),
        new_org(trade_roles=["authority"]),
        new_org(trade_roles=["retailer", "retailer"]),
        new_org(admin_unit_id=2**70),
        new_org(admin_unit_id="1"),
        new_org(address=["a"]),
    ],
)
def test_bad_organisation_payloads_are_422(api, world, body):
    response = api.as_(world.admin).post("/organisations", json=body)
    assert response.status_code == 422, response.json
    assert response.json["errors"]


def test_unknown_or_closed_admin_unit_is_refused(api, world, db):
    response = api.as_(world.admin).post("/organisations", json=new_org(admin_unit_id=999999))
    assert response.status_code == 422 and response.json["code"] == "admin_unit_unknown"
    with db.transaction() as s:
        old = f.admin_unit(s, "Huyện Cũ", "district", code="OLD1")
        old.valid_to = TODAY - dt.timedelta(days=1)
        old_id = old.id
    closed = api.as_(world.admin).post("/organisations", json=new_org(admin_unit_id=old_id))
    assert closed.status_code == 422 and closed.json["code"] == "admin_unit_closed"


def test_traders_see_only_their_own_organisation(api, world):
    listed = api.as_(world.trader_a).get("/organisations").json
    assert [o["id"] for o in listed["items"]] == [world.org_a.id] and listed["total"] == 1
    assert api.as_(world.trader_a).get(f"/organisations/{world.org_b.id}").status_code == 404
    assert api.as_(world.trader_a).get(f"/organisations/{world.org_a.id}").status_code == 200
    assert api.as_(world.shop_user).get(f"/organisations/{world.org_a.id}").status_code == 404


def test_authorities_list_all_with_filters_and_accent_insensitive_q(api, world):
    everyone = api.as_(world.inspector).get("/organisations?per_page=2").json
    assert everyone["total"] == 4 and len(everyone["items"]) == 2
    found = api.as_(world.inspector).get("/organisations?q=dai phat").json["items"]
    assert [o["id"] for o in found] == [world.org_a.id]
    by_name = api.as_(world.inspector).get("/organisations?q=GAS bien HOA").json
    assert [o["id"] for o in by_name["items"]] == [world.org_b.id]
    tax_code = by_name["items"][0]["tax_code"]
    by_tax_code = api.as_(world.inspector).get(f"/organisations?q={tax_code}").json
    assert [o["id"] for o in by_tax_code["items"]] == [world.org_b.id]
    retailers = api.as_(world.inspector).get("/organisations?trade_role=retailer").json
    assert [o["id"] for o in retailers["items"]] == [world.retailer.id]


def test_patch_requires_if_match_and_refuses_stale_versions(api, world, audit_entries):
    admin = api.as_(world.admin)
    url = f"/organisations/{world.org_b.id}"
    etag = admin.get(url).headers["ETag"]
    missing = admin.patch(url, json={"short_name": "BH Gas"})
    assert missing.status_code == 428 and missing.json["code"] == "precondition_required"
    wildcard = admin.patch(url, json={"short_name": "BH"}, headers={"If-Match": "*"})
    assert wildcard.status_code == 428
    ok = admin.patch(url, json={"short_name": "BH Gas"}, headers={"If-Match": etag})
    assert ok.status_code == 200, ok.json
    assert ok.json["short_name"] == "BH Gas" and ok.headers["ETag"] == '"v2"'
    stale = admin.patch(url, json={"short_name": "Other"}, headers={"If-Match": etag})
    assert stale.status_code == 412 and stale.json["current_etag"] == '"v2"'
    entry = audit_entries("organisation", world.org_b.id)[-1]
    assert entry.action == "update"
    assert entry.changes == {"short_name": {"old": None, "new": "BH Gas"}}
    # the search form follows the change
    assert api.as_(world.inspector).get("/organisations?q=bh gas").json["total"] == 1


def test_patch_is_admin_only_and_other_orgs_stay_hidden(api, world):
    url = f"/organisations/{world.org_a.id}"
    for who in (world.trader_a, world.inspector):
        response = api.as_(who).patch(url, json={"name": "X"}, headers={"If-Match": '"v1"'})
        assert response.status_code == 403


def test_patch_tax_code_to_anothers_is_409(api, world):
    taken = api.as_(world.admin).get(f"/organisations/{world.org_a.id}").json["tax_code"]
    response = api.as_(world.admin).patch(
        f"/organisations/{world.org_b.id}", json={"tax_code": taken}, headers={"If-Match": '"v1"'}
    )
    assert response.status_code == 409 and response.json["code"] == "tax_code_taken"


def test_huge_path_id_is_404_not_500(api, world):
    assert api.as_(world.admin).get(f"/organisations/{2**70}").status_code == 404


def licence_body(**overrides):
    body = {
        "number": "123/GCN-SCT",
        "kind": "Thương nhân kinh doanh LPG",
        "issuer": "Sở Công Thương Đồng Nai",
        "issued_on": (TODAY - dt.timedelta(days=10)).isoformat(),
        "expires_on": (TODAY + dt.timedelta(days=1000)).isoformat(),
    }
    return body | overrides


def test_licences_are_added_listed_and_make_the_org_licensed(api, world, audit_entries):
    org = api.as_(world.admin).post("/organisations", json=new_org()).json
    added = api.as_(world.admin).post(f"/organisations/{org['id']}/licences", json=licence_body())
    assert added.status_code == 201, added.json
    assert added.json["state"] == "valid"
    again = api.as_(world.admin).get(f"/organisations/{org['id']}").json
    assert again["licence_status"] == "valid" and again["licensed_today"] is True
    assert [lic["number"] for lic in again["licences"]] == ["123/GCN-SCT"]
    assert audit_entries("licence", added.json["id"])[0].action == "create"
    dup = api.as_(world.admin).post(f"/organisations/{org['id']}/licences", json=licence_body())
    assert dup.status_code == 409 and dup.json["code"] == "licence_number_taken"


def test_licence_period_and_facility_are_checked(api, world):
    url = f"/organisations/{world.org_a.id}/licences"
    backwards = licence_body(expires_on=(TODAY - dt.timedelta(days=20)).isoformat())
    response = api.as_(world.admin).post(url, json=backwards)
    assert response.status_code == 422 and response.json["code"] == "invalid_period"
    foreign = api.as_(world.admin).post(url, json=licence_body(facility_id=world.station_b.id))
    assert foreign.status_code == 422 and foreign.json["code"] == "licence_facility_mismatch"
    bad_date = api.as_(world.admin).post(url, json=licence_body(issued_on="2026-02-30"))
    assert bad_date.status_code == 422


def test_traders_read_their_licences_only_and_cannot_add(api, world):
    assert (
        api.as_(world.trader_a).get(f"/organisations/{world.org_a.id}/licences").status_code == 200
    )
    assert (
        api.as_(world.trader_a).get(f"/organisations/{world.org_b.id}/licences").status_code == 404
    )
    response = api.as_(world.trader_a).post(
        f"/organisations/{world.org_a.id}/licences", json=licence_body()
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("status", "expires_in_days", "expected"),
    [
        ("valid", 100, "valid"),
        ("valid", -1, "expired"),
        ("suspended", 100, "suspended"),
        ("revoked", 100, "revoked"),
    ],
)
def test_licence_status_is_computed(api, world, db, status, expires_in_days, expected):
    with db.transaction() as s:
        org = f.organisation(s, licensed=False)
        f.licence(s, org, status=status, expires_on=TODAY + dt.timedelta(days=expires_in_days))
        org_id = org.id
    body = api.as_(world.inspector).get(f"/organisations/{org_id}").json
    assert body["licence_status"] == expected
    assert body["licensed_today"] is (expected == "valid")


def test_a_newer_valid_licence_wins_over_an_expired_one(api, world, db):
    with db.transaction() as s:
        f.licence(s, world.org_b, expires_on=TODAY - dt.timedelta(days=400))
    assert (
        api.as_(world.inspector).get(f"/organisations/{world.org_b.id}").json["licence_status"]
        == "valid"
    )


def test_suspend_needs_a_reason_then_reinstate_and_revoke_is_final(api, world, audit_entries):
    admin = api.as_(world.admin)
    licence_id = admin.get(f"/organisations/{world.org_a.id}").json["licences"][0]["id"]
    url = f"/licences/{licence_id}"
    assert admin.patch(url, json={"status": "suspended"}).json["code"] == "reason_required"
    suspended = admin.patch(url, json={"status": "suspended", "reason": "Vi phạm PCCC"})
    assert suspended.status_code == 200, suspended.json
    assert suspended.json["state"] == "suspended" and suspended.json["revoked_at"]
    org = admin.get(f"/organisations/{world.org_a.id}").json
    assert org["licence_status"] == "suspended" and org["licensed_today"] is False
    reinstated = admin.patch(url, json={"status": "valid"})
    assert reinstated.json["state"] == "valid" and reinstated.json["revoked_at"] is None
    revoked = admin.patch(url, json={"status": "revoked", "reason": "Thu hồi theo quyết định 12"})
    assert revoked.json["status_reason"] == "Thu hồi theo quyết định 12"
    final = admin.patch(url, json={"status": "valid"})
    assert final.status_code == 409 and final.json["code"] == "licence_revoked_final"
    actions = [entry.action for entry in audit_entries("licence", licence_id)]
    assert actions == ["suspend", "reinstate", "revoke"]
    suspend_entry = audit_entries("licence", licence_id)[0]
    assert suspend_entry.changes["status"] == {"old": "valid", "new": "suspended"}
    assert suspend_entry.changes["reason"] == "Vi phạm PCCC"


def test_only_admins_change_licences(api, world):
    licence_id = (
        api.as_(world.admin).get(f"/organisations/{world.org_a.id}").json["licences"][0]["id"]
    )
    for who in (world.trader_a, world.inspector):
        response = api.as_(who).patch(f"/licences/{licence_id}", json={"status": "valid"})
        assert response.status_code == 403
    assert api.as_(world.admin).patch("/licences/999999", json={}).status_code == 404


def test_extending_an_expired_licence_restores_the_standing(api, world, db, audit_entries):
    with db.transaction() as s:
        org = f.organisation(s, licensed=False)
        licence_id = f.licence(s, org, expires_on=TODAY - dt.timedelta(days=3)).id
        org_id = org.id
    admin = api.as_(world.admin)
    assert admin.get(f"/organisations/{org_id}").json["licence_status"] == "expired"
    backwards = admin.patch(f"/licences/{licence_id}", json={"expires_on": "2000-01-01"})
    assert backwards.status_code == 422 and backwards.json["code"] == "invalid_period"
    new_expiry = (TODAY + dt.timedelta(days=365)).isoformat()
    extended = admin.patch(f"/licences/{licence_id}", json={"expires_on": new_expiry})
    assert extended.status_code == 200 and extended.json["state"] == "valid"
    assert admin.get(f"/organisations/{org_id}").json["licensed_today"] is True
    entry = audit_entries("licence", licence_id)[-1]
    assert entry.action == "update"
    assert entry.changes["expires_on"]["new"] == new_expiry
