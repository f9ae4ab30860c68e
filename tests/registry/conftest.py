"""Helpers for the registry tests: a client that speaks as a given world user, and audit reads."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from traceability.models import AuditEntry


class As:
    """Send requests as one user: `api.as_(world.admin).post("/organisations", json=...)`."""

    def __init__(self, client: Any, headers: dict[str, str]) -> None:
        self.client = client
        self.headers = headers

    def _call(self, method: str, path: str, headers: dict[str, str] | None = None, **kw: Any):
        return getattr(self.client, method)(
            "/api/v1" + path, headers={**self.headers, **(headers or {})}, **kw
        )

    def get(self, path: str, **kw: Any):
        return self._call("get", path, **kw)

    def post(self, path: str, **kw: Any):
        return self._call("post", path, **kw)

    def patch(self, path: str, **kw: Any):
        return self._call("patch", path, **kw)


class Api:
    def __init__(self, client: Any, auth: Any) -> None:
        self.client = client
        self.auth = auth
        self._cache: dict[int, dict[str, str]] = {}

    def as_(self, user: Any) -> As:
        if user.id not in self._cache:
            self._cache[user.id] = self.auth.headers(user)
        return As(self.client, self._cache[user.id])


@pytest.fixture
def api(client, auth) -> Api:
    return Api(client, auth)


@pytest.fixture
def audit_entries(db):
    """Read the audit log for an entity: audit_entries("organisation", 3)."""

    def read(entity: str, entity_id: Any = None) -> list[AuditEntry]:
        with db.read() as session:
            stmt = select(AuditEntry).where(AuditEntry.entity == entity).order_by(AuditEntry.id)
            if entity_id is not None:
                stmt = stmt.where(AuditEntry.entity_id == str(entity_id))
            entries = list(session.scalars(stmt))
            session.expunge_all()
            return entries

    return read
