"""Demo data for the label service: keys, fills through the normal service path, sample URLs.

`seed_fills` runs after the registry demo is loaded; it records fills exactly as a station would
(rules, contracts, signing, ledger) and then stages one cylinder per verification verdict.
`sample_urls` finds those labels again, so the demo command can print them on every start.
"""

from __future__ import annotations

import base64
import datetime as dt
import random
import uuid
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, update

from label_service import keys
from label_service.issuance import MAX_BATCH, FillSettings, record_fills
from label_service.issuance_views import FillRequest
from traceability.crypto import Keyring
from traceability.db import Database, utcnow
from traceability.labels.codec import label_url
from traceability.localtime import local_day
from traceability.models import (
    Cylinder,
    CylinderType,
    Facility,
    Fill,
    FillingContract,
    Label,
    Scan,
    SigningKey,
)
from traceability.models.enums import CylinderStatus, FacilityKind, KeyStatus, Role
from traceability.permissions import Principal

DEMO_ADMIN = Principal(role=Role.ADMIN, organisation_id=0, name="seed-demo")
_STAGED_REASON = "demo: key reported stolen"
_NAMESPACE = uuid.UUID("3f1d5e0c-8b1a-4f6e-9d2c-7a5b4c3e2f10")


def _station_principal(station: Facility) -> Principal:
    return Principal(
        role=Role.STATION,
        organisation_id=station.organisation_id,
        facility_id=station.id,
        name=f"demo:{station.code}",
    )


def _settings(settings: FillSettings | Mapping[str, Any]) -> FillSettings:
    return settings if isinstance(settings, FillSettings) else FillSettings.from_config(settings)


def _request(cylinder_id: int, nominal: Any, filled_at: dt.datetime, tag: str) -> FillRequest:
    """Deterministic client UUIDs, so running the seed twice creates nothing new."""
    return FillRequest(
        client_uuid=str(uuid.uuid5(_NAMESPACE, f"{tag}:{cylinder_id}")),
        cylinder_id=cylinder_id,
        filled_at=filled_at,
        net_kg=nominal,
        operator="NV-DEMO",
    )


def _plan(db: Database, fraction: float, now: dt.datetime, rng: random.Random) -> dict[int, list]:
    """For most fillable cylinders, a station allowed to fill it (its owner's, or contracted)."""
    today = local_day(now)
    with db.read() as session:
        stations = session.execute(
            select(Facility.id, Facility.organisation_id).where(
                Facility.kind == FacilityKind.FILLING_STATION, Facility.active
            )
        ).all()
        contracts = session.scalars(select(FillingContract)).all()
        rows = session.execute(
            select(Cylinder.id, Cylinder.owner_id, Cylinder.inspection_due, CylinderType.nominal_kg)
            .join(CylinderType, CylinderType.id == Cylinder.type_id)
            .where(Cylinder.status == CylinderStatus.IN_SERVICE)
            .order_by(Cylinder.id)
        ).all()
        allowed: dict[int, list[int]] = defaultdict(list)
        for station_id, org_id in stations:
            allowed[org_id].append(station_id)
        for contract in contracts:
            if contract.in_force_on(today):
                allowed[contract.owner_id].append(contract.station_id)
    plan: dict[int, list] = defaultdict(list)
    for cylinder_id, owner_id, due, nominal in rows:
        if due < today + dt.timedelta(days=25) or not allowed[owner_id] or rng.random() >= fraction:
            continue
        filled_at = now - dt.timedelta(minutes=rng.randint(60, 20 * 24 * 60))
        station_id = rng.choice(allowed[owner_id])
        plan[station_id].append(_request(cylinder_id, nominal, filled_at, "fill"))
    return plan


def seed_fills(
    db: Database,
    keyring: Keyring,
    settings: FillSettings | Mapping[str, Any],
    fraction: float = 0.8,
    now: dt.datetime | None = None,
) -> dict[str, int]:
    """A key per station, fills for ~`fraction` of cylinders, then one cylinder per verdict."""
    now = now or utcnow()
    fill_settings = _settings(settings)
    rng = random.Random(87)  # noqa: S311 - reproducible demo data
    with db.read() as session:
        stations = {
            s.id: s
            for s in session.scalars(
                select(Facility).where(
                    Facility.kind == FacilityKind.FILLING_STATION, Facility.active
                )
            )
        }
        session.expunge_all()
        keyed = set(
            session.scalars(
                select(SigningKey.station_id).where(SigningKey.status == KeyStatus.ACTIVE)
            )
        )
    for station_id in sorted(set(stations) - keyed):
        keys.create_key(
            db, keyring, DEMO_ADMIN, station_id, valid_from=now - dt.timedelta(days=60), now=now
        )
    totals = {"keys": len(set(stations) - keyed), "created": 0, "duplicate": 0, "rejected": 0}
    plan = _plan(db, fraction, now, rng)
    for station_id, requests in sorted(plan.items()):
        principal = _station_principal(stations[station_id])
        for start in range(0, len(requests), MAX_BATCH):
            outcome = record_fills(
                db, keyring, principal, requests[start : start + MAX_BATCH], fill_settings, now=now
            ).as_dict()
            for status in ("created", "duplicate", "rejected"):
                totals[status] += outcome[status]
    if plan:
        _stage_verdicts(db, keyring, fill_settings, stations, plan, now)
    return totals


def _stage_verdicts(
    db: Database,
    keyring: Keyring,
    settings: FillSettings,
    stations: dict[int, Facility],
    plan: dict[int, list],
    now: dt.datetime,
) -> None:
    """Superseded, inspection expired, flagged and revoked-key labels, one each."""
    ranked = sorted(plan.items(), key=lambda item: (-len(item[1]), item[0]))
    station_id, requests = ranked[0]
    older = [r for r in requests if r.filled_at < now - dt.timedelta(days=5)]
    if len(requests) < 3 or not older:
        return
    station = stations[station_id]
    refill, flagged, expiring = requests[0], requests[1], older[-1]
    with db.read() as session:
        if session.scalar(select(SigningKey.id).where(SigningKey.reason == _STAGED_REASON)):
            return  # staged on an earlier run

    def fill(request: FillRequest, at: dt.datetime, tag: str, where: Facility = station) -> None:
        again = _request(request.cylinder_id, request.net_kg, at, tag)
        record_fills(db, keyring, _station_principal(where), [again], settings, now=now)

    # superseded: the same cylinder filled again half an hour ago
    fill(refill, now - dt.timedelta(minutes=30), "again")
    # flagged: reported stolen after its fill; expired: falls due 3 days ago, refilled 4 days ago
    with db.transaction() as session:
        session.execute(
            update(Cylinder)
            .where(Cylinder.id == flagged.cylinder_id)
            .values(status=CylinderStatus.STOLEN)
        )
        session.execute(
            update(Cylinder)
            .where(Cylinder.id == expiring.cylinder_id)
            .values(inspection_due=local_day(now) - dt.timedelta(days=3))
        )
    fill(expiring, now - dt.timedelta(days=4), "expiring")
    if len(ranked) < 2:
        return
    # key revoked (another station): filled 20 minutes ago, key compromised 25 minutes ago
    other_id, other_requests = ranked[1]
    fill(other_requests[0], now - dt.timedelta(minutes=20), "stolen-key", stations[other_id])
    with db.read() as session:
        key_pk = session.scalar(
            select(SigningKey.id).where(
                SigningKey.station_id == other_id, SigningKey.status == KeyStatus.ACTIVE
            )
        )
    if key_pk is not None:
        keys.revoke_key(
            db,
            keyring,
            DEMO_ADMIN,
            key_pk,
            now - dt.timedelta(minutes=25),
            _STAGED_REASON,
            replace=True,
            now=now,
        )


def _tampered(token: str) -> str:
    """The same token with one signature bit flipped: parses, but no key's signature holds."""
    raw = bytearray(base64.b32decode(token + "=" * (-len(token) % 8)))
    raw[-1] ^= 0x01
    return base64.b32encode(bytes(raw)).decode().rstrip("=")


def _genuine_now() -> list[Any]:
    """Conditions of a label that verifies `genuine` today (before any scan pattern)."""
    return [
        Label.superseded_at.is_(None),
        Cylinder.status == CylinderStatus.IN_SERVICE,
        SigningKey.status == KeyStatus.ACTIVE,
        Cylinder.inspection_due >= local_day(utcnow()),
    ]


def stage_suspected_copy(db: Database, config: Mapping[str, Any], base_url: str) -> str | None:
    """Demo only: scans of one genuine label from as many devices as the copy rule needs, now.

    Its URL then shows `suspected_copy` for the next COPY_WINDOW_MINUTES; the demo command
    stages it again at every start. The scanners are random pseudonyms, not addresses.
    """
    devices = int(config["COPY_DISTINCT_DEVICES"])
    if devices <= 0:
        return None
    with db.transaction() as session:
        row = session.execute(
            select(Label.id, Label.cylinder_id, Label.token)
            .join(Cylinder, Cylinder.id == Label.cylinder_id)
            .join(SigningKey, SigningKey.id == Label.signing_key_id)
            .where(*_genuine_now())
            .order_by(Label.id.desc())
            .limit(1)
        ).first()
        if row is None:
            return None
        now = utcnow()
        session.add_all(
            Scan(
                label_id=row.id,
                cylinder_id=row.cylinder_id,
                scanned_at=now,
                verdict="genuine",
                client_hash=uuid.uuid4().hex * 2,
                device_class="mobile",
            )
            for _ in range(devices)
        )
    return label_url(base_url, row.token)


def sample_urls(db: Database, base_url: str) -> dict[str, str]:
    """One ready verification URL per verdict the demo data holds (missing verdicts are omitted)."""
    today = local_day(utcnow())
    current = Label.superseded_at.is_(None)
    in_service = Cylinder.status == CylinderStatus.IN_SERVICE
    active_key = SigningKey.status == KeyStatus.ACTIVE
    queries = {
        "genuine": _genuine_now(),
        "superseded": [
            Label.superseded_at.is_not(None),
            in_service,
            active_key,
            Cylinder.inspection_due >= today,
        ],
        "inspection_expired": [current, in_service, active_key, Cylinder.inspection_due < today],
        "cylinder_flagged": [current, Cylinder.status != CylinderStatus.IN_SERVICE],
        "key_revoked": [
            SigningKey.status == KeyStatus.REVOKED,
            Fill.filled_at >= SigningKey.compromised_at,
        ],
    }
    urls: dict[str, str] = {}
    with db.read() as session:
        for verdict, conditions in queries.items():
            token = session.scalar(
                select(Label.token)
                .join(Cylinder, Cylinder.id == Label.cylinder_id)
                .join(SigningKey, SigningKey.id == Label.signing_key_id)
                .join(Fill, Fill.id == Label.fill_id)
                .where(*conditions)
                .order_by(Label.id)
                .limit(1)
            )
            if token is not None:
                urls[verdict] = label_url(base_url, token)
    if "genuine" in urls:
        urls["not_genuine"] = label_url(base_url, _tampered(urls["genuine"].rsplit("/", 1)[1]))
    return urls
