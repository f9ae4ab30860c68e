"""Device keys through HTTP: issued once for a station or shop, listed without secrets, revoked."""

from __future__ import annotations

import pytest

from tests import factories as f
from traceability.models.enums import FacilityKind

URL = "/api/v1/device-keys"


def test_trader_issues_a_station_key_that_works_until_revoked(client, world, auth):
    headers = auth.headers(world.trader_a)
    issued = client.post(
        URL, json={"name": "Cân điện tử số 1", "facility_id": world.station_a.id}, headers=headers
    )
    assert issued.status_code == 201, issued.json
    body = issued.json
    assert body["role"] == "station" and body["organisation_id"] == world.org_a.id
    assert body["key"].startswith("lpg_" + body["prefix"] + ".")
    device = {"Authorization": f"ApiKey {body['key']}"}
    me = client.get("/api/v1/auth/me", headers=device)
    assert me.status_code == 200 and me.json["facility_id"] == world.station_a.id
    listed = client.get(URL, headers=headers).json
    assert listed["total"] == 1 and "key" not in listed["items"][0]
    assert listed["items"][0]["last_used_at"] is not None
    assert "secret_hash" not in listed["items"][0]
    revoked = client.post(f"{URL}/{body['id']}/revoke", headers=headers)
    assert revoked.status_code == 200 and revoked.json["revoked"] is True
    assert client.get("/api/v1/auth/me", headers=device).status_code == 401
    again = client.post(f"{URL}/{body['id']}/revoke", headers=headers)
    assert again.status_code == 200 and again.json["revoked_at"] == revoked.json["revoked_at"]


def test_admin_issues_a_shop_key_and_depots_get_none(client, world, auth, db):
    headers = auth.headers(world.admin)
    shop = client.post(
        URL, json={"name": "Máy quét", "facility_id": world.shop.id}, headers=headers
    )
    assert shop.status_code == 201 and shop.json["role"] == "shop"
    with db.transaction() as session:
        depot = f.facility(session, world.org_a, FacilityKind.DEPOT, "Kho LPG Gò Dầu")
    refused = client.post(URL, json={"name": "Kho", "facility_id": depot.id}, headers=headers)
    assert refused.status_code == 422 and refused.json["code"] == "facility_kind_without_devices"


@pytest.mark.parametrize("who", ["station_user_a", "shop_user", "inspector"])
def test_other_roles_cannot_manage_keys(client, world, auth, who):
    headers = auth.headers(getattr(world, who))
    assert (
        client.post(
            URL, json={"name": "x", "facility_id": world.station_a.id}, headers=headers
        ).status_code
        == 403
    )
    assert client.get(URL, headers=headers).status_code == 403


def test_another_organisations_facility_and_keys_are_not_found(client, world, auth):
    mine = client.post(
        URL,
        json={"name": "A", "facility_id": world.station_a.id},
        headers=auth.headers(world.trader_a),
    ).json
    other = auth.headers(world.trader_b)
    assert (
        client.post(
            URL, json={"name": "B", "facility_id": world.station_a.id}, headers=other
        ).status_code
        == 404
    )
    assert client.post(f"{URL}/{mine['id']}/revoke", headers=other).status_code == 404
    assert client.get(URL, headers=other).json["total"] == 0
    assert (
        client.get(URL, query_string={"revoked": "false"}, headers=auth.headers(world.admin)).json[
            "total"
        ]
        == 1
    )
