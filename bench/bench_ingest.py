"""Fill ingest: batches of 500 through POST /api/v1/fills/batch with station device keys.

Validation, signing, persistence and the hash chain all happen per fill; the figure is fills
accepted per second of wall time, with one client and with two stations sending at once.
Runs last: it adds fills (and supersedes labels) in the data set.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import threading
import time
import uuid
from decimal import Decimal

from sqlalchemy import create_engine, text

from bench import generate
from bench.common import RESULTS, NotAvailable, Run, Server, app_env, app_routes, table

BATCH = 500
TARGET_FILLS_PER_S = 1000.0
ELIGIBLE = """
SELECT c.id, t.nominal_kg FROM cylinders c JOIN cylinder_types t ON t.id = c.type_id
WHERE c.status = 'in_service' AND c.inspection_due > :due_after
  AND (c.owner_id = :org OR c.owner_id IN
       (SELECT owner_id FROM filling_contracts WHERE station_id = :station AND status = 'active'))
ORDER BY c.id DESC LIMIT :n
"""


def _stations(url: str, marker: dict, per_station: int) -> list[dict]:
    """Two stations with the most eligible cylinders, each with its device key and cylinders."""
    engine = create_engine(url)
    due_after = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).date()
    found = []
    with engine.connect() as connection:
        stations = connection.execute(
            text("SELECT id, organisation_id FROM facilities WHERE kind = 'filling_station'")
        ).all()
        for station_id, org in stations:
            cylinders = connection.execute(
                text(ELIGIBLE),
                {"due_after": due_after, "org": org, "station": station_id, "n": per_station},
            ).all()
            key = marker["device_keys"].get(str(station_id))
            if key:
                found.append({"station": station_id, "key": key, "cylinders": cylinders})
    engine.dispose()
    found.sort(key=lambda s: len(s["cylinders"]), reverse=True)
    return found[:2]


def _batches(station: dict, used: set[int]) -> list[bytes]:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=2)
    items = []
    for cylinder_id, nominal in station["cylinders"]:
        if cylinder_id in used:
            continue
        used.add(cylinder_id)
        items.append(
            {
                "client_uuid": str(uuid.uuid4()),
                "cylinder_id": cylinder_id,
                "filled_at": now.isoformat(),
                "net_kg": str(Decimal(nominal).quantize(Decimal("0.01")) - Decimal("0.10")),
            }
        )
    return [
        json.dumps({"fills": items[i : i + BATCH]}).encode() for i in range(0, len(items), BATCH)
    ]


def _send(port: int, key: str, bodies: list[bytes], outcome: dict) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    headers = {"Authorization": f"ApiKey {key}", "Content-Type": "application/json"}
    for body in bodies:
        connection.request("POST", "/api/v1/fills/batch", body=body, headers=headers)
        answer = connection.getresponse()
        payload = json.loads(answer.read() or b"{}")
        outcome["status"].append(answer.status)
        for name in ("created", "duplicate", "rejected"):
            outcome[name] += int(payload.get(name, 0))
        for item in payload.get("items", payload.get("results", [])):
            if item.get("code"):
                outcome["codes"][item["code"]] = outcome["codes"].get(item["code"], 0) + 1
    connection.close()


def _measure(server: Server, plan: list[tuple[dict, list[bytes]]]) -> dict:
    outcomes = [
        {"status": [], "created": 0, "duplicate": 0, "rejected": 0, "codes": {}} for _ in plan
    ]
    threads = [
        threading.Thread(target=_send, args=(server.port, station["key"], bodies, outcome))
        for (station, bodies), outcome in zip(plan, outcomes, strict=True)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    created = sum(o["created"] for o in outcomes)
    codes: dict[str, int] = {}
    for outcome in outcomes:
        for code, count in outcome["codes"].items():
            codes[code] = codes.get(code, 0) + count
    return {
        "clients": len(plan),
        "batches": sum(len(b) for _, b in plan),
        "created": created,
        "rejected": sum(o["rejected"] for o in outcomes),
        "http_statuses": sorted({s for o in outcomes for s in o["status"]}),
        "seconds": round(seconds, 2),
        "fills_per_s": round(created / seconds, 1) if seconds else 0.0,
        "rejection_codes": codes,
    }


def _backend(name: str, url: str, marker: dict, batches_per_client: int) -> list[dict]:
    stations = _stations(url, marker, per_station=BATCH * batches_per_client * 2)
    if len(stations) < 2:
        raise NotAvailable("the data set has no two stations with device keys")
    used: set[int] = set()
    first = _batches(stations[0], used)
    second = _batches(stations[1], used)
    env = app_env(url, marker["seed"])
    rows = []
    with Server(
        env, ("--workers", "2", "--timeout", "300"), RESULTS / "tmp" / f"ingest-{name}.log"
    ) as server:
        rows.append(
            {"database": name, **_measure(server, [(stations[0], first[:batches_per_client])])}
        )
        rows.append(
            {
                "database": name,
                **_measure(
                    server,
                    [
                        (stations[0], first[batches_per_client : 2 * batches_per_client]),
                        (stations[1], second[:batches_per_client]),
                    ],
                ),
            }
        )
    return rows


def run(suite: Run, marker: dict) -> dict:
    if "/api/v1/fills/batch" not in app_routes():
        raise NotAvailable("POST /api/v1/fills/batch is not registered")
    per_client = 2 if suite.mode == "quick" else 10
    rows = _backend("postgresql", suite.pg_url, marker, per_client)
    sqlite_marker = generate.generate(generate.Settings(suite.sqlite_url, suite.sqlite_scale))
    rows += _backend("sqlite", suite.sqlite_url, sqlite_marker, per_client)
    print(table("fill ingest", rows))
    best = {
        db: max(r["fills_per_s"] for r in rows if r["database"] == db)
        for db in ("postgresql", "sqlite")
    }
    return {
        "batch_size": BATCH,
        "rows": rows,
        "best_fills_per_s": best,
        "targets": {"fills_per_s": TARGET_FILLS_PER_S},
        "targets_met": {db: value >= TARGET_FILLS_PER_S for db, value in best.items()},
    }
