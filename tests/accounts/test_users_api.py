"""User accounts through HTTP: who may manage whom, password policy, disabling, passwords."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests import factories as f
from traceability.models import AuditEntry, User

URL = "/api/v1/users"
STRONG = "a long enough passphrase"


def new_user(world, **overrides):
    body = {
        "username": "tram.a.2",
        "display_name": "Nguyễn Văn Hai",
        "role": "station",
        "facility_id": world.station_a.id,
        "password": STRONG,
    }
    body.update(overrides)
    return body


def login(client, username, password=f.PASSWORD):
    return client.post("/api/v1/auth/token", json={"username": username, "password": password})


def test_trader_creates_a_station_user_who_can_log_in(client, world, auth, db):
    response = client.post(URL, json=new_user(world), headers=auth.headers(world.trader_a))
    assert response.status_code == 201, response.json
    body = response.json
    assert body["organisation_id"] == world.org_a.id and body["role"] == "station"
    assert "password" not in body and "password_hash" not in body
    assert login(client, "tram.a.2", STRONG).status_code == 200
    with db.read() as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.entity == "user", AuditEntry.action == "create")
        ).one()
        assert entry.changes["password"] == "***"
        assert STRONG not in str(entry.changes)


@pytest.mark.parametrize(
    ("who", "overrides", "status", "code"),
    [
        ("trader_a", {"role": "admin"}, 403, "role_not_allowed"),
        ("trader_a", {"role": "inspector"}, 403, "role_not_allowed"),
        ("trader_a", {"organisation_id": "org_b"}, 404, "not_found"),
        ("trader_a", {"facility_id": "station_b"}, 422, "facility_mismatch"),
        ("trader_a", {"role": "shop"}, 422, "facility_mismatch"),
        ("trader_a", {"role": "station", "facility_id": None}, 422, "facility_mismatch"),
        ("trader_a", {"password": "short pass"}, 422, "weak_password"),
        ("trader_a", {"password": "x" * 129}, 422, "weak_password"),
        ("trader_a", {"username": "Upper.Case"}, 422, "invalid_username"),
        ("trader_a", {"username": "trader_b"}, 409, "username_taken"),
        ("admin", {"role": "admin", "facility_id": None}, 422, "role_organisation_mismatch"),
        ("station_user_a", {}, 403, "forbidden"),
        ("inspector", {}, 403, "forbidden"),
        ("shop_user", {}, 403, "forbidden"),
    ],
)
def test_account_creation_rules(client, world, auth, db, who, overrides, status, code):
    for key in ("organisation_id", "facility_id"):
        if isinstance(overrides.get(key), str):
            overrides[key] = getattr(world, overrides[key]).id
    if who == "admin":
        overrides.setdefault("organisation_id", world.org_a.id)
    with db.read() as session:
        before = len(session.scalars(select(User.id)).all())
    response = client.post(
        URL, json=new_user(world, **overrides), headers=auth.headers(getattr(world, who))
    )
    assert response.status_code == status, response.json
    assert response.json["code"] == code
    with db.read() as session:
        assert len(session.scalars(select(User.id)).all()) == before


def test_admin_creates_an_inspector_in_the_department(client, world, auth):
    body = new_user(
        world,
        username="thanh.tra.2",
        role="inspector",
        facility_id=None,
        organisation_id=world.department.id,
    )
    response = client.post(URL, json=body, headers=auth.headers(world.admin))
    assert response.status_code == 201, response.json


def test_listing_is_limited_to_what_the_caller_manages(client, world, auth):
    def names(who, **params):
        response = client.get(URL, query_string=params, headers=auth.headers(getattr(world, who)))
        assert response.status_code == 200, response.json
        return sorted(user["username"] for user in response.json["items"])

    assert names("trader_a") == ["station_a", "trader_a"]
    assert names("trader_b", organisation_id=world.org_a.id) == []
    assert names("admin", role="inspector") == ["inspector"]
    assert names("admin", q="STATION") == ["station_a", "station_b"]
    assert len(names("admin")) == 7
    listed = client.get(URL, headers=auth.headers(world.admin)).json["items"]
    assert all("password_hash" not in user for user in listed)


def test_other_organisations_and_department_users_are_not_found(client, world, auth):
    headers = auth.headers(world.trader_a)
    for user in (world.trader_b, world.admin, world.inspector):
        assert client.get(f"{URL}/{user.id}", headers=headers).status_code == 404
        assert (
            client.patch(
                f"{URL}/{user.id}", json={"display_name": "X"}, headers=headers
            ).status_code
            == 404
        )
        assert (
            client.post(
                f"{URL}/{user.id}/password", json={"password": STRONG}, headers=headers
            ).status_code
            == 404
        )
    assert client.get(f"{URL}/{world.station_user_a.id}", headers=headers).status_code == 200


def test_disabling_a_user_stops_its_tokens_at_once(client, world, auth, db):
    victim = auth.headers(world.station_user_a)
    assert client.get("/api/v1/auth/me", headers=victim).status_code == 200
    response = client.patch(
        f"{URL}/{world.station_user_a.id}",
        json={"active": False},
        headers=auth.headers(world.trader_a),
    )
    assert response.status_code == 200 and response.json["active"] is False
    assert client.get("/api/v1/auth/me", headers=victim).status_code == 401
    assert login(client, "station_a").status_code == 401
    with db.read() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "update")).one()
        assert entry.changes["active"] == {"old": True, "new": False}
        assert entry.changes["sessions_revoked"] == 1


def test_patch_rules_and_optional_etag(client, world, auth):
    headers = auth.headers(world.trader_a)
    url = f"{URL}/{world.station_user_a.id}"
    etag = client.get(url, headers=headers).headers["ETag"]
    renamed = client.patch(
        url, json={"display_name": "Trạm A – ca đêm"}, headers={**headers, "If-Match": etag}
    )
    assert renamed.status_code == 200 and renamed.headers["ETag"] != etag
    stale = client.patch(url, json={"display_name": "X"}, headers={**headers, "If-Match": etag})
    assert stale.status_code == 412
    promote = client.patch(url, json={"role": "admin"}, headers=headers)
    assert promote.status_code == 403 and promote.json["code"] == "role_not_allowed"
    unknown = client.patch(url, json={"password_hash": "x"}, headers=headers)
    assert unknown.status_code == 422
    self_disable = client.patch(
        f"{URL}/{world.trader_a.id}", json={"active": False}, headers=headers
    )
    assert (
        self_disable.status_code == 409 and self_disable.json["code"] == "cannot_change_own_access"
    )


def test_admin_password_reset_ends_sessions_and_sets_the_new_password(client, world, auth):
    old_token = auth.headers(world.trader_b)
    response = client.post(
        f"{URL}/{world.trader_b.id}/password",
        json={"password": STRONG},
        headers=auth.headers(world.admin),
    )
    assert response.status_code == 204
    assert client.get("/api/v1/auth/me", headers=old_token).status_code == 401
    assert login(client, "trader_b").status_code == 401
    assert login(client, "trader_b", STRONG).status_code == 200
    own = client.post(
        f"{URL}/{world.admin.id}/password",
        json={"password": STRONG},
        headers=auth.headers(world.admin),
    )
    assert own.status_code == 409 and own.json["code"] == "cannot_change_own_access"
    weak = client.post(
        f"{URL}/{world.trader_b.id}/password",
        json={"password": "short"},
        headers=auth.headers(world.admin),
    )
    assert weak.status_code == 422 and weak.json["code"] == "weak_password"


def test_own_password_change_needs_the_current_one(client, world, auth, db):
    tokens = login(client, "shop").json
    mine = {"Authorization": f"Bearer {tokens['access_token']}"}
    other_session = auth.headers(world.shop_user)
    wrong = client.post(
        "/api/v1/auth/password",
        headers=mine,
        json={"current_password": "not my password!", "new_password": STRONG},
    )
    assert wrong.status_code == 422 and wrong.json["code"] == "wrong_current_password"
    done = client.post(
        "/api/v1/auth/password",
        headers=mine,
        json={"current_password": f.PASSWORD, "new_password": STRONG},
    )
    assert done.status_code == 204
    assert client.get("/api/v1/auth/me", headers=mine).status_code == 200
    assert client.get("/api/v1/auth/me", headers=other_session).status_code == 401
    assert login(client, "shop", STRONG).status_code == 200
    with db.read() as session:
        changes = [
            entry.changes
            for entry in session.scalars(
                select(AuditEntry).where(AuditEntry.action.like("password_change%"))
            )
        ]
    assert STRONG not in str(changes) and f.PASSWORD not in str(changes)
