"""Reference data for a generated data set: the real province registry, keys, users, devices.

Everything small is inserted through the ORM (reusing the demo seed's province loader); the
result is a picklable `Context` the history workers use to generate millions of rows.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import random
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy.orm import Session

from traceability.auth import create_device_key
from traceability.crypto import Keyring
from traceability.labels.codec import jwk_thumbprint, key_id_from_thumbprint
from traceability.models import SigningKey, User
from traceability.models.enums import KeyStatus, Role
from traceability.passwords import HASHER
from traceability.seed.demo import TYPES, _types
from traceability.seed.province import load_province

KEY_ROTATION_DAYS_AGO = 120
COMPROMISE_BEFORE_ROTATION_DAYS = 20
BENCH_PASSWORD = "lpg-bench-password-2026"  # noqa: S105 - synthetic accounts of a bench database


def bench_secrets(seed: int) -> dict[str, str]:
    """App secrets derived from the seed, so a reused data set's sealed keys still open."""

    def derive(name: str) -> str:
        return base64.b64encode(
            hashlib.sha256(f"lpg-bench:{name}:{seed}".encode()).digest()
        ).decode()

    return {
        "SECRET_KEY": derive("secret"),
        "MASTER_KEY": derive("master"),
        "SCAN_SALT": derive("salt"),
    }


@dataclass(frozen=True)
class StationKey:
    """One signing key as the workers need it: its id, token key id, seed and validity window."""

    signing_key_id: int
    key_id: bytes
    private_seed: bytes
    valid_from: int
    valid_until: int | None


@dataclass
class Context:
    """Everything a worker needs to generate histories, as plain picklable values."""

    seed: int
    now: int
    brands: list[tuple[int, str, int]] = field(default_factory=list)  # (id, code, owner org)
    brand_stations: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    station_keys: dict[int, list[StationKey]] = field(default_factory=dict)
    station_devices: dict[int, int] = field(default_factory=dict)
    station_names: dict[int, str] = field(default_factory=dict)
    traders: list[int] = field(default_factory=list)
    shops: list[tuple[int, int]] = field(default_factory=list)  # (facility id, org id)
    types: list[tuple[int, str, str, tuple[float, float], float]] = field(default_factory=list)
    org_users: dict[int, int] = field(default_factory=dict)
    device_secrets: dict[int, str] = field(default_factory=dict)  # station facility -> raw key
    revoked_station: int | None = None


def _station_key(
    session: Session, keyring: Keyring, seed: int, station_id: int, n: int, **window: object
) -> tuple[SigningKey, bytes]:
    private_seed = hashlib.sha256(f"lpg-bench-key:{seed}:{station_id}:{n}".encode()).digest()
    public = (
        Ed25519PrivateKey.from_private_bytes(private_seed)
        .public_key()
        .public_bytes(Encoding.Raw, PublicFormat.Raw)
    )
    kid = jwk_thumbprint(public)
    sealed, wrapped = keyring.envelope_seal("signing-key", private_seed, kid.encode())
    key = SigningKey(
        kid=kid,
        key_id=key_id_from_thumbprint(kid),
        station_id=station_id,
        public_key=public,
        sealed_private_key=sealed,
        wrapped_data_key=wrapped,
        **window,
    )
    session.add(key)
    session.flush()
    return key, private_seed


def _keys(session: Session, ctx: Context, stations: list, keyring: Keyring) -> None:
    """Each station: a retired key (labels before rotation) and an active one; one revoked."""
    now = dt.datetime.fromtimestamp(ctx.now, dt.UTC)
    rotated = now - dt.timedelta(days=KEY_ROTATION_DAYS_AGO)
    start = now - dt.timedelta(days=900)
    ctx.revoked_station = stations[3].id
    for station in stations:
        revoked = station.id == ctx.revoked_station
        compromised = rotated - dt.timedelta(days=COMPROMISE_BEFORE_ROTATION_DAYS)
        old, old_seed = _station_key(
            session,
            keyring,
            ctx.seed,
            station.id,
            0,
            status=KeyStatus.REVOKED if revoked else KeyStatus.RETIRED,
            created_at=start,
            valid_from=start,
            retired_at=rotated,
            revoked_at=rotated if revoked else None,
            compromised_at=compromised if revoked else None,
            reason="bench: simulated compromise" if revoked else "bench: rotation",
        )
        new, new_seed = _station_key(
            session, keyring, ctx.seed, station.id, 1, created_at=rotated, valid_from=rotated
        )
        ctx.station_keys[station.id] = [
            StationKey(
                old.id, old.key_id, old_seed, int(start.timestamp()), int(rotated.timestamp())
            ),
            StationKey(new.id, new.key_id, new_seed, int(rotated.timestamp()), None),
        ]


def _accounts(session: Session, ctx: Context, province) -> None:  # type: ignore[no-untyped-def]
    """One user per organisation (one shared hash: argon2 per user would dominate) and devices."""
    password_hash = HASHER.hash(BENCH_PASSWORD)
    org_ids = {ctx.brands[i][2] for i in range(len(ctx.brands))} | set(ctx.traders)
    org_ids |= {org for _, org in ctx.shops} | {province.department.id}
    for org_id in sorted(org_ids):
        role = Role.ADMIN if org_id == province.department.id else Role.TRADER
        user = User(
            username=f"bench{org_id}",
            password_hash=password_hash,
            display_name=f"Bench user {org_id}",
            role=role,
            organisation_id=org_id,
        )
        session.add(user)
        session.flush()
        ctx.org_users[org_id] = user.id
    for station in province.stations:
        key, raw = create_device_key(
            session,
            name=f"bench {station.code}",
            role=Role.STATION,
            organisation_id=station.organisation_id,
            facility_id=station.id,
            created_by=None,
        )
        ctx.station_devices[station.id] = key.id
        ctx.device_secrets[station.id] = raw


def load_reference(session: Session, seed: int, now: int) -> Context:
    """Insert the province, cylinder types, keys, users and devices; return the worker context."""
    keyring = Keyring(bench_secrets(seed)["MASTER_KEY"])
    rng = random.Random(seed)
    today = dt.datetime.fromtimestamp(now, dt.UTC).date()
    province = load_province(session, rng, today)
    ctx = Context(seed=seed, now=now)
    type_rows = _types(session)
    ctx.types = [
        (item.id, item.code, spec[1], tare, share)
        for (item, tare, share), spec in zip(type_rows, TYPES, strict=True)
    ]
    ctx.brands = sorted((b.id, b.code, b.organisation_id) for b in province.brands.values())
    by_code = {code: brand_id for brand_id, code, _ in ctx.brands}
    for station in province.stations:
        ctx.station_names[station.id] = station.name
        for code in province.station_brands[station.id]:
            ctx.brand_stations.setdefault(by_code[code], []).append(
                (station.id, station.organisation_id)
            )
    ctx.traders = sorted(org.id for org in province.traders)
    ctx.shops = sorted((shop.id, shop.organisation_id) for shop in province.shops)
    session.flush()
    _keys(session, ctx, province.stations, keyring)
    _accounts(session, ctx, province)
    return ctx
