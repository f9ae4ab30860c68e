"""Ledger 2 (filling station) XLSX export: seconds and peak memory, in a child process.

The busiest station is exported over the shortest period ending with its busiest month that
holds at least 60,000 rows (one station-month at the province's real volumes); at small scales
that is simply everything the station has. The child reports ru_maxrss before and after.
"""

from __future__ import annotations

import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time

from sqlalchemy import create_engine, text

from bench.common import ROOT, NotAvailable, Run, app_env

TARGET_ROWS = 60_000


def _scope(url: str) -> dict:
    """Busiest station, and the period ending with its busiest month reaching TARGET_ROWS."""
    engine = create_engine(url)
    with engine.connect() as connection:
        months = connection.execute(
            text(
                "SELECT station_id, date_trunc('month', filled_at)::date AS month, count(*) "
                "FROM fills GROUP BY 1, 2 ORDER BY 1, 2"
            )
        ).all()
    engine.dispose()
    by_station: dict[int, list[tuple[dt.date, int]]] = {}
    for station, month, count in months:
        by_station.setdefault(station, []).append((month, count))
    station = max(by_station, key=lambda s: max(c for _, c in by_station[s]))
    series = by_station[station]
    end_index = max(range(len(series)), key=lambda i: series[i][1])
    start_index, rows = end_index, series[end_index][1]
    while rows < TARGET_ROWS and start_index > 0 and len(series[start_index:end_index]) < 11:
        start_index -= 1
        rows += series[start_index][1]
    start = series[start_index][0]
    end_month = series[end_index][0]
    end = (end_month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    return {
        "facility_id": station,
        "date_from": start.isoformat(),
        "date_to": end.isoformat(),
        "fills": rows,
    }


def child(url: str, facility_id: int, date_from: str, date_to: str) -> None:
    """Runs in a fresh interpreter: export once, print timings and memory as JSON."""
    import os

    from bench.reference import bench_secrets
    from traceability.crypto import Keyring
    from traceability.db import Database
    from traceability.ledger.views import ExportLimits, export_ledger
    from traceability.ledger.views_common import LedgerFilters
    from traceability.models.enums import Role
    from traceability.permissions import Principal

    db = Database(url)
    with db.read() as session:
        department = session.execute(
            text("SELECT id FROM organisations WHERE is_authority ORDER BY id LIMIT 1")
        ).scalar_one()
    admin = Principal(role=Role.ADMIN, organisation_id=department, name="bench")
    keyring = Keyring(os.environ.get("MASTER_KEY") or bench_secrets(2026)["MASTER_KEY"])
    filters = LedgerFilters(
        facility_id=facility_id,
        date_from=dt.date.fromisoformat(date_from),
        date_to=dt.date.fromisoformat(date_to),
    )
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        cpu = time.process_time()
        result = export_ledger(
            db, admin, keyring, 2, filters, "xlsx", out, ExportLimits(max_days=400)
        )
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu
        size = out.seek(0, 2)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        "BENCH_JSON "
        + json.dumps(
            {
                "rows": result.rows,
                "seconds": round(seconds, 2),
                "cpu_seconds": round(cpu, 2),
                "bytes": size,
                "rows_per_s": round(result.rows / seconds) if seconds else None,
                "maxrss_before_mb": round(before / 1024, 1),
                "maxrss_peak_mb": round(after / 1024, 1),
                "growth_mb": round((after - before) / 1024, 1),
            }
        )
    )


def run(suite: Run, marker: dict) -> dict:
    try:
        from traceability.ledger.views import export_ledger  # noqa: F401
    except ImportError as exc:
        raise NotAvailable(f"traceability.ledger.views.export_ledger: {exc}") from None
    scope = _scope(suite.pg_url)
    done = subprocess.run(  # noqa: S603 - our own interpreter and module
        [
            sys.executable,
            "-m",
            "bench.bench_export",
            suite.pg_url,
            str(scope["facility_id"]),
            scope["date_from"],
            scope["date_to"],
        ],
        cwd=ROOT,
        env=app_env(suite.pg_url, marker["seed"]),
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"export child failed: {done.stderr[-1500:]}")
    measured = json.loads(line.removeprefix("BENCH_JSON "))
    return {
        "scope": scope,
        "target_rows": TARGET_ROWS,
        "rows": [{"ledger": 2, "format": "xlsx", **measured}],
    }


if __name__ == "__main__":
    child(sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4])
