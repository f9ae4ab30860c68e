"""Simultaneous requests with the same client UUID or Idempotency-Key create exactly one fill."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from label_service.issuance import FillSettings, record_fills
from label_service.issuance_views import FillRequest
from tests.label_service.conftest import fill_body, station_principal
from tests.tools import require_postgres
from traceability.models import Fill, Label, LedgerEntry

pytestmark = pytest.mark.usefixtures("station_keys")


def _request(body: dict) -> FillRequest:
    from label_service.fills_api import FillInSchema

    return FillInSchema().load(body)


def _race(db, keyring, world, app, requests, threads=6, key=None):
    barrier = threading.Barrier(threads)
    settings = FillSettings.from_config(app.config)
    principal = station_principal(world)

    def go(_: int):
        barrier.wait()
        return record_fills(
            db, keyring, principal, requests, settings, idempotency_key=key
        ).as_dict()

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(go, range(threads)))


def _counts(db):
    with db.read() as s:
        return tuple(
            s.scalar(select(func.count()).select_from(m)) for m in (Fill, Label, LedgerEntry)
        )


def test_same_uuid_at_once_makes_one_fill(app, db, keyring, world):
    require_postgres()
    request = _request(fill_body(world.cyl_a))
    results = _race(db, keyring, world, app, [request])
    statuses = sorted(r["items"][0]["status"] for r in results)
    assert statuses == ["created"] + ["duplicate"] * 5
    assert len({r["items"][0]["fill"]["id"] for r in results}) == 1
    assert _counts(db) == (1, 1, 1)


def test_same_uuid_other_cylinder_at_once_one_wins(app, db, keyring, world):
    """Different content under one UUID locks different cylinders: the unique index decides."""
    require_postgres()
    from tests import factories as f

    with db.transaction() as s:
        other = f.cylinder(s, world.org_a, world.brand_a, world.type12)
    body = fill_body(world.cyl_a)
    first, second = _request(body), _request(body | {"cylinder_id": other.id})
    barrier = threading.Barrier(2)
    settings = FillSettings.from_config(app.config)

    def go(request):
        barrier.wait()
        return record_fills(db, keyring, station_principal(world), [request], settings).as_dict()

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(go, [first, second]))
    assert sorted(r["items"][0]["status"] for r in results) == ["created", "rejected"]
    assert _counts(db) == (1, 1, 1)


def test_same_idempotency_key_at_once(app, db, keyring, world):
    require_postgres()
    requests = [_request(fill_body(world.cyl_a)), _request(fill_body(world.cyl_a))]
    results = _race(db, keyring, world, app, requests, threads=4, key="race-1")
    created = [r["created"] for r in results]
    assert created.count(2) >= 1 and _counts(db) == (2, 2, 2)


def test_concurrent_batches_on_one_cylinder_keep_one_current_label(app, db, keyring, world):
    require_postgres()
    batches = [[_request(fill_body(world.cyl_a))] for _ in range(6)]
    barrier = threading.Barrier(6)
    settings = FillSettings.from_config(app.config)

    def go(batch):
        barrier.wait()
        return record_fills(db, keyring, station_principal(world), batch, settings).as_dict()

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(go, batches))
    with db.read() as s:
        current = s.scalar(
            select(func.count()).select_from(Label).where(Label.superseded_at.is_(None))
        )
    assert current == 1
