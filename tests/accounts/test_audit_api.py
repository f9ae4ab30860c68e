"""The audit-log query: administrators only, filters, newest first, personal data masked."""

from __future__ import annotations

import datetime as dt

import pytest

from traceability import audit
from traceability.permissions import Principal

URL = "/api/v1/audit"


@pytest.fixture
def entries(db, world):
    admin = Principal(
        role="admin",
        organisation_id=world.department.id,
        user_id=world.admin.id,
        name="admin",
        client_ip="203.0.113.9",
        request_id="req-1",
    )
    trader = Principal(
        role="trader", organisation_id=world.org_a.id, user_id=world.trader_a.id, name="trader_a"
    )
    with db.transaction() as session:
        audit.record(
            session,
            admin,
            "create",
            "organisation",
            world.org_a.id,
            {"name": {"old": None, "new": "A"}},
            organisation_id=world.org_a.id,
        )
        audit.record(
            session,
            trader,
            "update",
            "cylinder",
            world.cyl_a.id,
            {"tare_kg": {"old": "14.2", "new": "14.3"}},
            organisation_id=world.org_a.id,
        )
        audit.record(
            session,
            trader,
            "update",
            "user",
            world.trader_a.id,
            {"email": {"old": None, "new": "a@example.vn"}},
            organisation_id=world.org_a.id,
        )


def test_only_admins_read_the_audit_log(client, world, auth, entries):
    for who in ("inspector", "trader_a", "station_user_a", "shop_user"):
        assert client.get(URL, headers=auth.headers(getattr(world, who))).status_code == 403


def test_filters_and_order(client, world, auth, entries):
    headers = auth.headers(world.admin)

    def actions(**params):
        response = client.get(URL, query_string=params, headers=headers)
        assert response.status_code == 200, response.json
        return [(item["entity"], item["action"]) for item in response.json["items"]]

    assert actions() == [("user", "update"), ("cylinder", "update"), ("organisation", "create")]
    assert actions(entity="cylinder", entity_id=str(world.cyl_a.id)) == [("cylinder", "update")]
    assert actions(actor_user_id=world.admin.id) == [("organisation", "create")]
    assert actions(organisation_id=world.org_b.id) == []
    assert actions(action="create") == [("organisation", "create")]
    tomorrow = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()
    assert actions(since=tomorrow) == []
    assert len(actions(until=tomorrow, per_page=2)) == 2
    assert actions(since="2020-01-01T00:00:00", page=2, per_page=2) == [("organisation", "create")]
    first = client.get(URL, query_string={"entity": "organisation"}, headers=headers).json
    assert first["items"][0]["client_ip"] == "203.0.113.9"
    assert first["items"][0]["request_id"] == "req-1"
    masked = client.get(URL, query_string={"entity": "user"}, headers=headers).json["items"][0]
    assert masked["changes"]["email"] == "***"
    bad = client.get(URL, query_string={"since": "yesterday"}, headers=headers)
    assert bad.status_code == 422


def test_writes_through_the_api_are_found_by_entity(client, world, auth):
    trader = auth.headers(world.trader_a)
    patched = client.patch(
        f"/api/v1/cylinders/{world.cyl_a.id}",
        json={"manufacturer": "Sun"},
        headers={**trader, "If-Match": '"v1"', "X-Request-ID": "trace-42"},
    )
    assert patched.status_code == 200
    found = client.get(
        URL,
        query_string={"entity": "cylinder", "entity_id": world.cyl_a.id},
        headers=auth.headers(world.admin),
    ).json["items"]
    assert found[0]["actor_user_id"] == world.trader_a.id
    assert found[0]["request_id"] == "trace-42"
    assert found[0]["changes"]["manufacturer"]["new"] == "Sun"
