"""Logins, refresh rotation, logout, disabled users, JWT hardening and device keys."""

from __future__ import annotations

import datetime as dt

import jwt
import pytest

from tests import factories as f
from traceability.auth import create_device_key
from traceability.models import User
from traceability.models.enums import Role


def login(client, username: str, password: str = f.PASSWORD):
    return client.post("/api/v1/auth/token", json={"username": username, "password": password})


def test_login_returns_working_tokens(client, world):
    response = login(client, "trader_a")
    assert response.status_code == 200, response.json
    body = response.json
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json["role"] == "trader" and me.json["organisation_id"] == world.org_a.id


def test_wrong_password_and_unknown_user_look_the_same(client, world):
    wrong = login(client, "trader_a", "not the password at all")
    unknown = login(client, "nobody-here", "not the password at all")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json["code"] == unknown.json["code"] == "invalid_credentials"
    assert "not the password" not in str(wrong.json)


def test_repeated_failures_lock_the_account(client, world, db):
    for _ in range(5):
        assert login(client, "trader_b", "wrong password 123").status_code == 401
    locked = login(client, "trader_b")
    assert locked.status_code == 429
    assert locked.json["code"] == "account_locked"
    assert int(locked.headers["Retry-After"]) > 0


def test_refresh_rotates_and_reuse_revokes_the_family(client, world):
    first = login(client, "trader_a").json
    second = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    reused = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reused.status_code == 401
    # the whole family is revoked: the newest refresh and access tokens are dead too
    newest = client.post(
        "/api/v1/auth/refresh", json={"refresh_token": second.json["refresh_token"]}
    )
    assert newest.status_code == 401
    me = client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {second.json['access_token']}"}
    )
    assert me.status_code == 401


def test_logout_ends_the_session(client, world):
    tokens = login(client, "trader_a").json
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401
    again = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert again.status_code == 401


def test_disabled_user_tokens_stop_working(client, world, auth, db):
    headers = auth.headers(world.trader_a)
    with db.transaction() as session:
        session.get(User, world.trader_a.id).active = False
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401
    assert login(client, "trader_a").status_code == 401


@pytest.mark.parametrize(
    "mutate", ["none_alg", "wrong_key", "expired", "wrong_audience", "refresh_type", "garbage"]
)
def test_forged_or_stale_jwts_are_refused(client, world, app, mutate):
    settings = app.extensions["lpg_auth"]
    now = dt.datetime.now(dt.UTC)
    claims = {
        "iss": settings.issuer,
        "aud": settings.audience,
        "sub": str(world.admin.id),
        "sid": "x",
        "typ": "access",
        "iat": now,
        "exp": now + dt.timedelta(minutes=5),
    }
    key, alg = settings.secret, "HS256"
    if mutate == "none_alg":
        token = jwt.encode(claims, None, algorithm="none")
    else:
        if mutate == "wrong_key":
            key = "another-secret-key-of-sufficient-length!!"
        elif mutate == "expired":
            claims["exp"] = now - dt.timedelta(seconds=1)
        elif mutate == "wrong_audience":
            claims["aud"] = "someone-else"
        elif mutate == "refresh_type":
            claims["typ"] = "refresh"
        token = jwt.encode(claims, key, algorithm=alg) if mutate != "garbage" else "abc.def.ghi"
    response = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json["code"] == "unauthenticated"


def test_device_api_key_authenticates_and_revocation_stops_it(client, world, db):
    with db.transaction() as session:
        key, secret = create_device_key(
            session,
            name="Cân số 1",
            role=Role.STATION,
            organisation_id=world.org_a.id,
            facility_id=world.station_a.id,
            created_by=None,
        )
        key_id = key.id
    headers = {"Authorization": f"ApiKey {secret}"}
    me = client.get("/api/v1/auth/me", headers=headers)
    assert me.status_code == 200 and me.json["facility_id"] == world.station_a.id
    assert (
        client.get(
            "/api/v1/auth/me", headers={"Authorization": f"ApiKey {secret[:-2]}xx"}
        ).status_code
        == 401
    )
    with db.transaction() as session:
        from traceability.models import DeviceKey

        session.get(DeviceKey, key_id).revoked_at = dt.datetime.now(dt.UTC)
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401
