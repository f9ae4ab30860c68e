"""Two administrators at once: only one change based on the same read wins; no duplicate contracts."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

from traceability.errors import DomainError
from traceability.models.enums import Role
from traceability.permissions import Principal
from traceability.registry import contracts, organisations, province_today


def race(*calls: Callable[[], object]) -> list[object]:
    """Run the calls at the same moment; return each result or the DomainError it raised."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        barrier.wait()
        try:
            results[index] = call()
        except DomainError as error:
            results[index] = error

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def admin(world) -> Principal:
    return Principal(role=Role.ADMIN, organisation_id=world.department.id, user_id=world.admin.id)


def test_concurrent_patches_with_the_same_etag_one_wins(db, world):
    principal = admin(world)
    versions = frozenset({1})
    results = race(
        *(
            lambda name=name: organisations.update_organisation(
                db, principal, world.org_b.id, {"short_name": name}, versions
            )
            for name in ("Một", "Hai", "Ba")
        )
    )
    winners = [r for r in results if isinstance(r, dict)]
    losers = [r for r in results if isinstance(r, DomainError)]
    assert len(winners) == 1 and len(losers) == 2, results
    assert {error.status for error in losers} == {412}
    assert organisations.get_organisation(db, principal, world.org_b.id)["version"] == 2


def test_concurrent_overlapping_contracts_one_wins(db, world):
    trader = Principal(role=Role.TRADER, organisation_id=world.org_a.id, user_id=world.trader_a.id)
    today = province_today()
    body = {
        "station_id": world.station_b.id,
        "valid_from": today,
        "valid_to": today + dt.timedelta(days=90),
    }
    results = race(*(lambda: contracts.create_contract(db, trader, dict(body)) for _ in range(3)))
    assert sum(isinstance(r, dict) for r in results) == 1, results
    assert {r.code for r in results if isinstance(r, DomainError)} == {"contract_overlaps"}
