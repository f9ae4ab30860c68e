"""The public side of station keys: what admins may see, and the JWKS everyone may fetch."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from label_service.keys import MAX_ID
from traceability.db import Database
from traceability.errors import NotFound
from traceability.labels.codec import public_jwk
from traceability.models import Facility, SigningKey
from traceability.paging import Page, fetch_page
from traceability.permissions import Permission, Principal


def public_view(key: SigningKey) -> dict[str, Any]:
    """What may be shown about a key: public material and life-cycle dates only."""
    return {
        "id": key.id,
        "kid": key.kid,
        "key_id": key.key_id.hex(),
        "station_id": key.station_id,
        "station_name": key.station.name if key.station else None,
        "x": public_jwk(key.public_key)["x"],
        "status": key.status,
        "created_at": key.created_at,
        "valid_from": key.valid_from,
        "retired_at": key.retired_at,
        "revoked_at": key.revoked_at,
        "compromised_at": key.compromised_at,
        "reason": key.reason,
    }


def get_key(db: Database, principal: Principal, key_pk: int) -> SigningKey:
    principal.require(Permission.SIGNING_KEY_MANAGE)
    with db.read() as session:
        key = session.get(SigningKey, key_pk) if key_pk <= MAX_ID else None
        if key is None:
            raise NotFound("signing key not found")
        key.station  # noqa: B018 - load for public_view before the session closes
        session.expunge_all()
        return key


def list_keys(
    db: Database,
    principal: Principal,
    station_id: int | None = None,
    status: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page[SigningKey]:
    """Keys, newest first, optionally for one station or one status."""
    principal.require(Permission.SIGNING_KEY_MANAGE)
    stmt = select(SigningKey).order_by(SigningKey.id.desc())
    if station_id is not None:
        stmt = stmt.where(SigningKey.station_id == station_id)
    if status is not None:
        stmt = stmt.where(SigningKey.status == status)
    with db.read() as session:
        result = fetch_page(session, stmt, page, per_page)
        for key in result.items:
            key.station  # noqa: B018 - load for public_view before the session closes
        session.expunge_all()
        return result


def _instant(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def jwks_document(db: Database) -> dict[str, Any]:
    """Every station key ever issued (active, retired, revoked) as a JWK Set with life-cycle data."""
    with db.read() as session:
        rows = session.execute(
            select(SigningKey, Facility.name)
            .join(Facility, Facility.id == SigningKey.station_id)
            .order_by(SigningKey.id)
        ).all()
        session.expunge_all()
    keys = []
    for key, station_name in rows:
        keys.append(
            public_jwk(key.public_key)
            | {
                "lpg_status": key.status,
                "lpg_valid_from": _instant(key.valid_from),
                "lpg_retired_at": _instant(key.retired_at),
                "lpg_compromised_at": _instant(key.compromised_at),
                "lpg_station": station_name,
            }
        )
    return {"keys": keys}
