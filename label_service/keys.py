"""Station signing keys: generation, sealing at rest, life cycle, and the cached in-process signer.

Only this module ever sees a private key in the clear. Keys are sealed with envelope encryption
(a fresh data key per signing key, wrapped by the MASTER_KEY-derived "signing-key" key; the kid is
the AAD, so a sealed key cannot be moved to another row). The loaded signer is cached by kid;
which key signs is always decided from the database, so a rotation in another process is obeyed.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from traceability import audit
from traceability.crypto import Keyring
from traceability.db import Database, utcnow
from traceability.errors import Conflict, NotFound, ValidationFailed
from traceability.labels.codec import jwk_thumbprint, key_id_from_thumbprint
from traceability.models import Facility, SigningKey
from traceability.models.enums import FacilityKind, KeyStatus
from traceability.permissions import Permission, Principal

SEAL_PURPOSE = "signing-key"
MAX_ID = 2**63 - 1  # the largest id any backend stores; larger ones are refused, not overflowed
_CACHE_LIMIT = 512
_signers: dict[str, Ed25519PrivateKey] = {}
_signers_lock = threading.Lock()


class ActiveKeyExists(Conflict):
    code = "signing_key_active_exists"
    message_vi = "Trạm đã có khóa ký đang hoạt động; hãy dùng chức năng xoay vòng khóa."
    message_en = "The station already has an active signing key; rotate it instead."


class KeyNotActive(Conflict):
    code = "signing_key_not_active"
    message_vi = "Khóa ký không ở trạng thái hoạt động."
    message_en = "The signing key is not active."


class KeyAlreadyRevoked(Conflict):
    code = "signing_key_already_revoked"
    message_vi = "Khóa ký đã bị thu hồi."
    message_en = "The signing key is already revoked."


class CompromiseInFuture(ValidationFailed):
    code = "compromised_at_in_future"
    message_vi = "Thời điểm lộ khóa không được ở tương lai."
    message_en = "The compromise time cannot be in the future."


class KeyNotFilingStation(ValidationFailed):
    code = "signing_key_station_invalid"
    message_vi = "Khóa ký chỉ cấp cho trạm chiết nạp đang hoạt động."
    message_en = "Signing keys are issued only to active filling stations."


def _aad(kid: str) -> bytes:
    return kid.encode("ascii")


def _floor_minute(moment: dt.datetime) -> dt.datetime:
    return moment.replace(second=0, microsecond=0)


def new_signing_key(
    keyring: Keyring, station_id: int, valid_from: dt.datetime, now: dt.datetime
) -> SigningKey:
    """Generate an Ed25519 key and seal its private half; the clear bytes never leave here."""
    private = Ed25519PrivateKey.generate()
    public_raw = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    kid = jwk_thumbprint(public_raw)
    sealed, wrapped = keyring.envelope_seal(
        SEAL_PURPOSE,
        private.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        ),
        aad=_aad(kid),
    )
    return SigningKey(
        kid=kid,
        key_id=key_id_from_thumbprint(kid),
        station_id=station_id,
        public_key=public_raw,
        sealed_private_key=sealed,
        wrapped_data_key=wrapped,
        status=KeyStatus.ACTIVE,
        created_at=now,
        valid_from=valid_from,
    )


def signer(keyring: Keyring, key: SigningKey) -> Ed25519PrivateKey:
    """The key's private half, unsealed once per process and cached by kid."""
    cached = _signers.get(key.kid)
    if cached is not None:
        return cached
    raw = keyring.envelope_open(
        SEAL_PURPOSE, key.sealed_private_key, key.wrapped_data_key, _aad(key.kid)
    )
    private = Ed25519PrivateKey.from_private_bytes(raw)
    public_raw = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    if public_raw != key.public_key:
        raise ValueError(f"sealed private key does not match public key {key.kid}")
    with _signers_lock:
        if len(_signers) >= _CACHE_LIMIT:
            _signers.clear()
        _signers[key.kid] = private
    return private


def forget_signer(kid: str) -> None:
    """Drop a cached signer (on retirement or revocation)."""
    with _signers_lock:
        _signers.pop(kid, None)


def covers(key: SigningKey, filled_at: dt.datetime) -> bool:
    """Whether a verifier would accept this key for a label filled at that time (label-format §7)."""
    minute = _floor_minute(filled_at)
    if key.status == KeyStatus.REVOKED or minute < _floor_minute(key.valid_from):
        return False
    return key.retired_at is None or minute <= key.retired_at


def key_for_fill(keys: Iterable[SigningKey], filled_at: dt.datetime) -> SigningKey | None:
    """The active key if it covers the fill time, else the retired key that did (late fills)."""
    usable = [key for key in keys if covers(key, filled_at)]
    usable.sort(key=lambda k: (k.status == KeyStatus.ACTIVE, k.valid_from), reverse=True)
    return usable[0] if usable else None


def station_keys(session: Session, station_id: int) -> list[SigningKey]:
    """The station's keys that may still sign something (active or retired)."""
    return list(
        session.scalars(
            select(SigningKey).where(
                SigningKey.station_id == station_id,
                SigningKey.status.in_([KeyStatus.ACTIVE, KeyStatus.RETIRED]),
            )
        )
    )


def _audit(session: Session, principal: Principal, action: str, key: SigningKey, **extra: Any):
    changes = {"kid": key.kid, "station_id": key.station_id, "status": key.status, **extra}
    station = session.get(Facility, key.station_id)
    audit.record(
        session,
        principal,
        action,
        "signing_key",
        key.id,
        changes,
        organisation_id=station.organisation_id if station else None,
    )


def _lock_station(session: Session, station_id: int) -> Facility:
    station = session.scalar(select(Facility).where(Facility.id == station_id).with_for_update())
    if station is None:
        raise NotFound("station not found")
    if station.kind != FacilityKind.FILLING_STATION or not station.active:
        raise KeyNotFilingStation(f"facility {station.code} is not an active filling station")
    return station


def _active_key(session: Session, station_id: int) -> SigningKey | None:
    return session.scalar(
        select(SigningKey).where(
            SigningKey.station_id == station_id, SigningKey.status == KeyStatus.ACTIVE
        )
    )


def _create(
    session: Session,
    keyring: Keyring,
    principal: Principal,
    station: Facility,
    valid_from: dt.datetime | None,
    now: dt.datetime,
) -> SigningKey:
    key = new_signing_key(keyring, station.id, valid_from or now, now)
    key.station = station
    session.add(key)
    session.flush()
    _audit(session, principal, "signing_key.create", key, valid_from=key.valid_from)
    return key


def _load(session: Session, key_pk: int) -> SigningKey:
    key = session.get(SigningKey, key_pk, with_for_update=True) if key_pk <= MAX_ID else None
    if key is None:
        raise NotFound("signing key not found")
    return key


def _retire(session: Session, principal: Principal, key: SigningKey, now: dt.datetime) -> None:
    key.status = KeyStatus.RETIRED
    key.retired_at = now
    session.flush()
    forget_signer(key.kid)
    _audit(session, principal, "signing_key.retire", key, retired_at=now)


def create_key(
    db: Database,
    keyring: Keyring,
    principal: Principal,
    station_id: int,
    valid_from: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> SigningKey:
    """Give a station its first (or next, after a revocation) active key."""
    principal.require(Permission.SIGNING_KEY_MANAGE)
    now = now or utcnow()
    with db.transaction() as session:
        station = _lock_station(session, station_id)
        if _active_key(session, station.id) is not None:
            raise ActiveKeyExists()
        return _create(session, keyring, principal, station, valid_from, now)


def rotate_key(
    db: Database,
    keyring: Keyring,
    principal: Principal,
    station_id: int,
    now: dt.datetime | None = None,
) -> SigningKey:
    """Retire the station's active key and create its successor in one transaction."""
    principal.require(Permission.SIGNING_KEY_MANAGE)
    now = now or utcnow()
    with db.transaction() as session:
        station = _lock_station(session, station_id)
        current = _active_key(session, station.id)
        if current is not None:
            _retire(session, principal, current, now)
        return _create(session, keyring, principal, station, now, now)


def retire_key(
    db: Database, principal: Principal, key_pk: int, now: dt.datetime | None = None
) -> SigningKey:
    """Stop a key signing new labels; labels it signed before stay valid."""
    principal.require(Permission.SIGNING_KEY_MANAGE)
    with db.transaction() as session:
        key = _load(session, key_pk)
        if key.status != KeyStatus.ACTIVE:
            raise KeyNotActive(f"key is {key.status}")
        _retire(session, principal, key, now or utcnow())
        return key


def revoke_key(
    db: Database,
    keyring: Keyring,
    principal: Principal,
    key_pk: int,
    compromised_at: dt.datetime | None = None,
    reason: str | None = None,
    replace: bool = False,
    now: dt.datetime | None = None,
) -> tuple[SigningKey, SigningKey | None]:
    """Declare a key compromised from a time on; optionally give the station a new active key."""
    principal.require(Permission.SIGNING_KEY_MANAGE)
    now = now or utcnow()
    compromised_at = compromised_at or now
    if compromised_at > now:
        raise CompromiseInFuture(compromised_at.isoformat())
    with db.transaction() as session:
        key = _load(session, key_pk)
        if key.status == KeyStatus.REVOKED:
            raise KeyAlreadyRevoked()
        key.status = KeyStatus.REVOKED
        key.retired_at = key.retired_at or now
        key.revoked_at = now
        key.compromised_at = compromised_at
        key.reason = reason
        session.flush()
        forget_signer(key.kid)
        _audit(
            session,
            principal,
            "signing_key.revoke",
            key,
            compromised_at=compromised_at,
            reason=reason,
        )
        successor = None
        if replace and _active_key(session, key.station_id) is None:
            station = _lock_station(session, key.station_id)
            successor = _create(session, keyring, principal, station, now, now)
        return key, successor
