"""Fixtures for the label service: keys for the world's stations and fill payload builders."""

from __future__ import annotations

import datetime as dt
import uuid
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask

from label_service import keys
from traceability.crypto import Keyring
from traceability.db import Database, utcnow
from traceability.models.enums import Role
from traceability.permissions import Principal

SYSTEM_ADMIN = Principal(role=Role.ADMIN, organisation_id=0, name="test")


@pytest.fixture
def keyring(app: Flask) -> Keyring:
    ring: Keyring = app.extensions["lpg_keyring"]
    return ring


@pytest.fixture
def station_keys(db: Database, keyring: Keyring, world: SimpleNamespace) -> SimpleNamespace:
    """An active key for each world station, valid from 60 days ago (covers back-dated fills)."""
    since = utcnow() - dt.timedelta(days=60)
    return SimpleNamespace(
        a=keys.create_key(db, keyring, SYSTEM_ADMIN, world.station_a.id, valid_from=since),
        b=keys.create_key(db, keyring, SYSTEM_ADMIN, world.station_b.id, valid_from=since),
    )


def station_principal(world: SimpleNamespace, which: str = "a") -> Principal:
    user = getattr(world, f"station_user_{which}")
    return Principal(
        role=Role.STATION,
        organisation_id=user.organisation_id,
        facility_id=user.facility_id,
        user_id=user.id,
        name=user.username,
    )


def fill_body(cylinder: Any = None, **overrides: Any) -> dict[str, Any]:
    """A valid fill of a 12 kg cylinder an hour ago; override any field."""
    body: dict[str, Any] = {
        "client_uuid": str(uuid.uuid4()),
        "filled_at": (utcnow() - dt.timedelta(hours=1)).isoformat(),
        "net_kg": "12.00",
        "operator": "NV-07",
    }
    if cylinder is not None:
        body["cylinder_id"] = cylinder.id
    body.update(overrides)
    return body
