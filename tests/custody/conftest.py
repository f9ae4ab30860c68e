"""Fixtures for custody tests: station keys (reused from the label service) and event builders."""

from __future__ import annotations

import datetime as dt
import uuid
from types import SimpleNamespace
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.label_service.conftest import fill_body, keyring, station_keys  # noqa: F401  (fixtures)
from traceability.db import utcnow


def ago(**delta: float) -> str:
    return (utcnow() - dt.timedelta(**delta)).isoformat()


def event(kind: str, cylinder: Any = None, **fields: Any) -> dict[str, Any]:
    """A valid event body a minute ago; override any field."""
    body: dict[str, Any] = {
        "entry_uuid": str(uuid.uuid4()),
        "kind": kind,
        "occurred_at": ago(minutes=1),
    }
    if cylinder is not None:
        body["cylinder_id"] = cylinder.id
    body.update(fields)
    return body


class Custody:
    """Drives the HTTP API as the world's users: fills, events, receipts."""

    def __init__(self, client: FlaskClient, auth: Any, world: SimpleNamespace) -> None:
        self.client, self.auth, self.world = client, auth, world
        self._headers: dict[int, dict[str, str]] = {}

    def headers(self, user: Any) -> dict[str, str]:
        if user.id not in self._headers:
            self._headers[user.id] = self.auth.headers(user)
        return self._headers[user.id]

    def fill(self, cylinder: Any, user: Any = None, **overrides: Any) -> dict[str, Any]:
        """Fill through the label service's API; returns its answer (fill and label)."""
        response = self.client.post(
            "/api/v1/fills",
            json=fill_body(cylinder, **overrides),
            headers=self.headers(user or self.world.station_user_a),
        )
        assert response.status_code == 201, response.json
        return dict(response.json)

    def post(self, user: Any, body: dict[str, Any]) -> Any:
        return self.client.post("/api/v1/events", json=body, headers=self.headers(user))

    def record(self, user: Any, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
        response = self.post(user, body)
        assert response.status_code == status, response.json
        return dict(response.json)

    def batch(self, user: Any, bodies: list[Any]) -> Any:
        return self.client.post(
            "/api/v1/events/batch", json={"events": bodies}, headers=self.headers(user)
        )

    def to_shop(self, cylinder: Any) -> None:
        """Fill at station A, dispatch to trader A, sell to the retailer's shop."""
        w = self.world
        self.fill(cylinder, filled_at=ago(hours=3))
        self.record(w.station_user_a, event("dispatch", cylinder, occurred_at=ago(hours=2)))
        self.record(
            w.trader_a,
            event(
                "sale",
                cylinder,
                occurred_at=ago(hours=1),
                counterparty_org_id=w.retailer.id,
                counterparty_facility_id=w.shop.id,
            ),
        )


@pytest.fixture
def custody(client: FlaskClient, auth: Any, world: SimpleNamespace, station_keys: Any) -> Custody:  # noqa: F811
    return Custody(client, auth, world)
