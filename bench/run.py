"""The benchmark suite: `python -m bench.run --quick|--full [--only NAME ...]`.

Generates (or reuses) the data sets, runs each benchmark, prints its table and writes
bench/results/<name>-<mode>.json, then merges everything into bench/results/latest.json.
A benchmark whose code does not exist yet is reported as "not available", never a crash.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
import traceback
from typing import Any

from bench import generate
from bench.common import RESULTS, NotAvailable, Run, environment, table, write_result

MODES = {
    "quick": {
        "scale": 20_000,
        "sqlite_scale": 5_000,
        "duration_s": 4,
        "connections": (10, 50, 200),
        "gunicorn": ("gthread-w2-t4",),
    },
    "full": {
        "scale": 1_000_000,
        "sqlite_scale": 50_000,
        "duration_s": 12,
        "connections": (10, 50, 200),
        "gunicorn": ("sync-w2", "sync-w3", "gthread-w2-t4"),
    },
}
# Order matters: ingest writes to the data set, so it runs after everything that reads it.
BENCHMARKS = ("login", "render", "verify", "queries", "export", "ingest")


def _dataset(suite: Run) -> dict:
    started = time.perf_counter()
    info = generate.generate(generate.Settings(suite.pg_url, suite.scale))
    info["seconds_this_run"] = round(time.perf_counter() - started, 1)
    print(table("data set (PostgreSQL)", [_dataset_row(info)]))
    return info


def _dataset_row(info: dict) -> dict:
    return {
        "cylinders": info["cylinders"],
        "fills": info["fills"],
        "ledger_entries": info["ledger_entries"],
        "reused": info["reused"],
        "generate_s": info.get("total_s"),
        "rows_s": info.get("rows_s"),
        "indexes_s": info.get("indexes_and_constraints_s"),
    }


def _run_one(name: str, suite: Run, marker: dict) -> dict[str, Any]:
    started = time.perf_counter()
    result: dict[str, Any] = {"environment": environment()}
    try:
        module = importlib.import_module(f"bench.bench_{name}")
        result |= {"status": "ok", **module.run(suite, marker)}
    except NotAvailable as exc:
        result |= {"status": "not available", "reason": str(exc)}
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # one broken benchmark must not hide the others' figures
        traceback.print_exc()
        result |= {"status": "error", "error": f"{type(exc).__name__}: {exc}"}
    result["seconds"] = round(time.perf_counter() - started, 1)
    if result.get("rows"):
        print(table(f"{name} ({suite.mode})", result["rows"]))
    else:
        print(f"\n{name}: {result['status']} {result.get('reason') or result.get('error') or ''}")
    write_result(f"{name}-{suite.mode}", result)
    return result


def _merge_latest(suite: Run, results: dict[str, Any]) -> None:
    path = RESULTS / "latest.json"
    latest = json.loads(path.read_text()) if path.exists() else {}
    section = latest.setdefault(suite.mode, {"benchmarks": {}})
    section["scale"] = suite.scale
    section["sqlite_scale"] = suite.sqlite_scale
    section["benchmarks"].update(results)
    path.write_text(json.dumps(latest, indent=2, default=str, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="LPG Trace benchmarks")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--quick", action="store_true", help="small scale, < 5 minutes")
    mode.add_argument("--full", action="store_true", help="1,000,000 cylinders")
    parser.add_argument("--only", action="append", choices=("generate", *BENCHMARKS))
    parser.add_argument("--scale", type=int, help="override the PostgreSQL scale")
    args = parser.parse_args(argv)
    name = "quick" if args.quick else "full"
    settings = dict(MODES[name])
    if args.scale:
        settings["scale"] = args.scale
    suite = Run(mode=name, **settings)
    chosen = args.only or ["generate", *BENCHMARKS]
    results: dict[str, Any] = {}
    marker = _dataset(suite)
    if "generate" in chosen:
        results["generate"] = {
            "environment": environment(),
            "status": "ok",
            "rows": [_dataset_row(marker)],
            **{k: v for k, v in marker.items() if k != "device_keys"},
        }
        write_result(f"generate-{name}", results["generate"])
    for benchmark in BENCHMARKS:
        if benchmark in chosen:
            results[benchmark] = _run_one(benchmark, suite, marker)
    _merge_latest(suite, results)
    statuses = {k: v.get("status") for k, v in results.items()}
    print(f"\nresults: {RESULTS / 'latest.json'}  {statuses}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
