"""Cylinder history and statistics at scale: p50/p99 of the service functions the API calls.

Measured in-process against the generated PostgreSQL data set, as an administrator (who sees
everything, so no organisation filter helps the planner). The daily summary tables are
refreshed first (timed: that is what `lpgtrace stats-refresh` costs on a fresh data set).
"""

from __future__ import annotations

import datetime as dt
import importlib
import random
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import text

from bench.common import NotAvailable, Run, timed
from traceability.db import Database
from traceability.models.enums import Role
from traceability.permissions import Principal

# (name, module, function): what exists is measured, what does not is listed as missing.
FUNCTIONS = (
    ("cylinder history", "traceability.inspection.history", "cylinder_history"),
    ("stats: fills per day (30 d)", "traceability.stats.series", "fills_per_day"),
    ("stats: verifications per day (30 d)", "traceability.stats.series", "verifications_per_day"),
    ("stats: by admin unit", "traceability.stats.registry", "counts_by_admin_unit"),
    ("stats: inspections due", "traceability.stats.registry", "inspections_due"),
    ("stats: open cases", "traceability.stats.registry", "open_cases"),
    ("search: serial", "traceability.registry.search", "search"),
)


def _load(module: str, name: str) -> Callable[..., Any] | None:
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None


def run(suite: Run, marker: dict) -> dict:
    db = Database(suite.pg_url)
    rng = random.Random(11)
    with db.read() as session:
        department = session.execute(
            text("SELECT id FROM organisations WHERE is_authority ORDER BY id LIMIT 1")
        ).scalar_one()
        serials = (
            session.execute(text("SELECT serial FROM cylinders WHERE id % 997 = 0 LIMIT 500"))
            .scalars()
            .all()
        )
    admin = Principal(role=Role.ADMIN, organisation_id=department, name="bench")
    repeat = 100 if suite.mode == "quick" else 500
    cylinders = [rng.randint(1, marker["cylinders"]) for _ in range(repeat + 10)]
    end = dt.datetime.fromtimestamp(marker["now"], dt.UTC).date()
    rows, missing, setup = [], [], {}
    refresh = _load("traceability.stats.refresh", "refresh")
    if refresh is not None:
        started = time.perf_counter()
        refresh(db)
        setup["stats_refresh_s"] = round(time.perf_counter() - started, 2)
    calls: dict[str, Callable[[], Any]] = {}
    for label, module, name in FUNCTIONS:
        fn = _load(module, name)
        if fn is None:
            missing.append(f"{module}.{name}")
            continue
        calls[label] = _call(label, fn, db, admin, cylinders, serials, end)
    if not calls:
        raise NotAvailable("no history or statistics functions exist yet")
    for label, call in calls.items():
        n = repeat if label in ("cylinder history", "search: serial") else max(20, repeat // 10)
        rows.append({"query": label, **timed(call, n)})
    db.dispose()
    return {
        "database": "postgresql",
        "scale": suite.scale,
        "setup": setup,
        "missing": missing,
        "rows": rows,
    }


def _call(label, fn, db, admin, cylinders, serials, end) -> Callable[[], Any]:  # type: ignore[no-untyped-def]
    """A zero-argument call that picks a new cylinder or serial each time (no warm repeats)."""
    if label == "cylinder history":
        picks = iter(cylinders * 3)
        return lambda: fn(db, admin, next(picks))
    if label == "search: serial":
        picks = iter(serials * 50)
        return lambda: fn(db, admin, next(picks))
    if label.endswith("(30 d)"):
        return lambda: fn(db, admin, start=end - dt.timedelta(days=29), end=end)
    return lambda: fn(db, admin)
