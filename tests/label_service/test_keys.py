"""Signing key life cycle over HTTP and CLI, the JWKS, and that private keys never leak."""

from __future__ import annotations

import base64
import datetime as dt
import logging

import pytest
from sqlalchemy import select

from label_service import keys
from tests.label_service.conftest import fill_body
from traceability.db import utcnow
from traceability.labels.codec import (
    jwk_thumbprint,
    key_id_from_thumbprint,
    parse_token,
)
from traceability.labels.offline import verify_offline
from traceability.models import AuditEntry, SigningKey


def _create(client, auth, world, station=None):
    station = station or world.station_a
    return client.post(
        "/api/v1/signing-keys", json={"station_id": station.id}, headers=auth.headers(world.admin)
    )


def test_create_rotate_retire_revoke_are_audited(client, auth, world, db):
    headers = auth.headers(world.admin)
    first = _create(client, auth, world)
    assert first.status_code == 201, first.json
    key = first.json
    assert key["status"] == "active" and key["kid"] == jwk_thumbprint(
        base64.urlsafe_b64decode(key["x"] + "=")
    )
    assert bytes.fromhex(key["key_id"]) == key_id_from_thumbprint(key["kid"])
    again = _create(client, auth, world)
    assert again.status_code == 409 and again.json["code"] == "signing_key_active_exists"
    rotated = client.post(
        "/api/v1/signing-keys/rotate", json={"station_id": world.station_a.id}, headers=headers
    )
    assert rotated.status_code == 201 and rotated.json["kid"] != key["kid"]
    old = client.get(f"/api/v1/signing-keys/{key['id']}", headers=headers).json
    assert old["status"] == "retired" and old["retired_at"]
    retire_again = client.post(f"/api/v1/signing-keys/{key['id']}/retire", headers=headers)
    assert retire_again.status_code == 409
    revoked = client.post(
        f"/api/v1/signing-keys/{rotated.json['id']}/revoke",
        json={
            "compromised_at": (utcnow() - dt.timedelta(hours=1)).isoformat(),
            "reason": "stolen laptop",
            "replace": True,
        },
        headers=headers,
    )
    assert revoked.status_code == 200, revoked.json
    assert (
        revoked.json["revoked"]["status"] == "revoked"
        and revoked.json["successor"]["status"] == "active"
    )
    future = client.post(
        f"/api/v1/signing-keys/{key['id']}/revoke",
        json={"compromised_at": (utcnow() + dt.timedelta(hours=1)).isoformat()},
        headers=headers,
    )
    assert future.status_code == 422
    listing = client.get(
        f"/api/v1/signing-keys?station_id={world.station_a.id}", headers=headers
    ).json
    assert listing["total"] == 3 and {k["status"] for k in listing["items"]} == {
        "active",
        "retired",
        "revoked",
    }
    with db.read() as s:
        actions = [
            a.action
            for a in s.scalars(select(AuditEntry).where(AuditEntry.entity == "signing_key"))
        ]
    assert actions.count("signing_key.create") == 3 and "signing_key.revoke" in actions
    assert actions.count("signing_key.retire") == 1


def test_only_admins_manage_keys(client, auth, world):
    for user in (world.trader_a, world.station_user_a, world.inspector, world.shop_user):
        assert client.get("/api/v1/signing-keys", headers=auth.headers(user)).status_code == 403
        response = client.post(
            "/api/v1/signing-keys",
            json={"station_id": world.station_a.id},
            headers=auth.headers(user),
        )
        assert response.status_code == 403


def test_keys_only_for_filling_stations(client, auth, world):
    response = _create(client, auth, world, station=world.shop)
    assert response.status_code == 422 and response.json["code"] == "signing_key_station_invalid"
    missing = client.post(
        "/api/v1/signing-keys", json={"station_id": 99999}, headers=auth.headers(world.admin)
    )
    assert missing.status_code == 404
    huge = client.post(
        "/api/v1/signing-keys", json={"station_id": 2**70}, headers=auth.headers(world.admin)
    )
    assert huge.status_code == 422
    assert (
        client.get(f"/api/v1/signing-keys/{2**70}", headers=auth.headers(world.admin)).status_code
        == 404
    )
    assert (
        client.post(
            f"/api/v1/signing-keys/{2**70}/retire", headers=auth.headers(world.admin)
        ).status_code
        == 404
    )


def test_jwks_lists_every_key_with_cache_headers(client, auth, world, db, keyring):
    from tests.label_service.conftest import SYSTEM_ADMIN

    active = keys.create_key(db, keyring, SYSTEM_ADMIN, world.station_a.id)
    retired_then = keys.rotate_key(db, keyring, SYSTEM_ADMIN, world.station_a.id)
    keys.revoke_key(
        db, keyring, SYSTEM_ADMIN, retired_then.id, utcnow() - dt.timedelta(minutes=5), "test"
    )
    response = client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    etag = response.headers["ETag"]
    jwks = response.json
    by_kid = {k["kid"]: k for k in jwks["keys"]}
    assert by_kid[active.kid]["lpg_status"] == "retired" and by_kid[active.kid][
        "lpg_retired_at"
    ].endswith("Z")
    revoked = by_kid[retired_then.kid]
    assert revoked["lpg_status"] == "revoked" and revoked["lpg_compromised_at"]
    for jwk in jwks["keys"]:
        assert {"kty", "crv", "x", "kid", "use", "alg", "lpg_station", "lpg_valid_from"} <= set(jwk)
        assert jwk["kid"] == jwk_thumbprint(base64.urlsafe_b64decode(jwk["x"] + "="))
        assert "d" not in jwk
    cached = client.get("/.well-known/jwks.json", headers={"If-None-Match": etag})
    assert cached.status_code == 304 and cached.data == b""
    keys.create_key(db, keyring, SYSTEM_ADMIN, world.station_a.id)
    changed = client.get("/.well-known/jwks.json", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and len(changed.json["keys"]) == 3


def test_revocation_verdicts_offline(client, auth, world, db, keyring, station_keys):
    """Labels before the compromise still verify (with a warning); those after are rejected."""
    from tests.label_service.conftest import SYSTEM_ADMIN

    headers = auth.headers(world.station_user_a)
    before = client.post(
        "/api/v1/fills",
        json=fill_body(world.cyl_a, filled_at=(utcnow() - dt.timedelta(hours=3)).isoformat()),
        headers=headers,
    ).json
    after = client.post(
        "/api/v1/fills",
        json=fill_body(world.cyl_a, filled_at=(utcnow() - dt.timedelta(minutes=30)).isoformat()),
        headers=headers,
    ).json
    keys.revoke_key(
        db, keyring, SYSTEM_ADMIN, station_keys.a.id, utcnow() - dt.timedelta(hours=1), "stolen"
    )
    jwks = client.get("/.well-known/jwks.json").json
    early = verify_offline(jwks, before["label"]["url"])
    late = verify_offline(jwks, after["label"]["url"])
    assert early.verdict == "signature_valid" and "revoked" in early.detail
    assert late.verdict == "key_revoked"


def test_rotation_keeps_old_labels_valid_and_signs_late_fills_with_the_old_key(
    client, auth, world, db, keyring, station_keys
):
    from tests.label_service.conftest import SYSTEM_ADMIN

    headers = auth.headers(world.station_user_a)
    old_label = client.post(
        "/api/v1/fills",
        json=fill_body(world.cyl_a, filled_at=(utcnow() - dt.timedelta(hours=5)).isoformat()),
        headers=headers,
    ).json
    new_key = keys.rotate_key(db, keyring, SYSTEM_ADMIN, world.station_a.id)
    late = client.post(
        "/api/v1/fills",
        json=fill_body(world.cyl_a, filled_at=(utcnow() - dt.timedelta(hours=2)).isoformat()),
        headers=headers,
    ).json
    fresh = client.post(
        "/api/v1/fills",
        json=fill_body(world.cyl_a, filled_at=utcnow().isoformat()),
        headers=headers,
    ).json
    jwks = client.get("/.well-known/jwks.json").json
    for body in (old_label, late, fresh):
        assert verify_offline(jwks, body["label"]["url"]).verdict == "signature_valid"
    assert parse_token(late["label"]["token"]).claims.key_id == station_keys.a.key_id
    assert parse_token(fresh["label"]["token"]).claims.key_id == new_key.key_id


def test_private_key_material_never_leaves(client, auth, world, db, keyring, caplog, app):
    """Scan every response, the audit log and the captured logs for the raw private key."""
    caplog.set_level(logging.DEBUG)
    runner = app.test_cli_runner()
    headers = auth.headers(world.admin)
    bodies = [_create(client, auth, world).data]
    bodies.append(
        client.post(
            "/api/v1/fills", json=fill_body(world.cyl_a), headers=auth.headers(world.station_user_a)
        ).data
    )
    bodies.append(client.get("/api/v1/signing-keys", headers=headers).data)
    bodies.append(
        client.post(
            "/api/v1/signing-keys/rotate", json={"station_id": world.station_a.id}, headers=headers
        ).data
    )
    bodies.append(client.get("/.well-known/jwks.json").data)
    bodies.append(runner.invoke(args=["keys", "list"]).output.encode())
    with db.read() as s:
        stored = s.scalars(select(SigningKey)).all()
        secrets = [
            keyring.envelope_open(
                "signing-key", k.sealed_private_key, k.wrapped_data_key, k.kid.encode()
            )
            for k in stored
        ]
        audit_text = " ".join(str(a.changes) for a in s.scalars(select(AuditEntry)))
    assert len(secrets) == 2
    haystacks = [*bodies, audit_text.encode(), caplog.text.encode()]
    for secret in secrets:
        forms = [
            secret,
            secret.hex().encode(),
            base64.b64encode(secret).rstrip(b"="),
            base64.urlsafe_b64encode(secret).rstrip(b"="),
            base64.b32encode(secret).rstrip(b"="),
        ]
        for hay in haystacks:
            for form in forms:
                assert form not in hay


def test_sealed_key_is_bound_to_its_row(db, keyring, world, station_keys):
    """Swapping sealed keys between rows fails to open (the kid is the AAD)."""
    from cryptography.exceptions import InvalidTag

    a, b = station_keys.a, station_keys.b
    with pytest.raises(InvalidTag):
        keyring.envelope_open(
            "signing-key", a.sealed_private_key, a.wrapped_data_key, b.kid.encode()
        )


def test_cli_key_commands(app, db, world):
    runner = app.test_cli_runner()
    created = runner.invoke(args=["keys", "create", "--station", world.station_a.code])
    assert created.exit_code == 0, created.output
    kid = created.output.split()[1]
    duplicate = runner.invoke(args=["keys", "create", "--station", world.station_a.code])
    assert duplicate.exit_code != 0 and "signing_key_active_exists" in duplicate.output
    rotated = runner.invoke(args=["keys", "rotate", "--station", world.station_a.code])
    assert rotated.exit_code == 0, rotated.output
    new_kid = rotated.output.split()[1]
    assert runner.invoke(args=["keys", "retire", new_kid]).exit_code == 0
    revoked = runner.invoke(
        args=[
            "keys",
            "revoke",
            kid,
            "--compromised-at",
            "2026-01-01T00:00:00+07:00",
            "--reason",
            "test",
            "--replace",
        ]
    )
    assert revoked.exit_code == 0, revoked.output
    assert "revoked" in revoked.output and "active" in revoked.output
    listing = runner.invoke(args=["keys", "list", "--station", world.station_a.code])
    assert "3 key(s)" in listing.output
    naive = runner.invoke(
        args=["keys", "revoke", new_kid, "--compromised-at", "2026-01-01T00:00:00"]
    )
    assert naive.exit_code != 0
    with db.read() as s:
        assert s.scalar(
            select(AuditEntry.actor_name).where(AuditEntry.entity == "signing_key")
        ).startswith("cli:")


def test_cli_takes_a_kid_that_starts_with_a_dash(app, db, world):
    """RFC 7638 thumbprints are base64url: one kid in 64 begins with "-"."""
    from sqlalchemy import update

    runner = app.test_cli_runner()
    created = runner.invoke(args=["keys", "create", "--station", world.station_a.code])
    assert created.exit_code == 0, created.output
    kid = created.output.split()[1]
    with db.transaction() as s:
        s.execute(update(SigningKey).where(SigningKey.kid == kid).values(kid="-" + kid[1:]))
    retired = runner.invoke(args=["keys", "retire", "-" + kid[1:]])
    assert retired.exit_code == 0, retired.output
    revoked = runner.invoke(args=["keys", "revoke", "-" + kid[1:], "--reason", "test"])
    assert revoked.exit_code == 0, revoked.output
