"""CPU per request by process kind while wrk drives each verify endpoint.

    python -m bench.cpu_split [gunicorn config] [--scale N]

Reads utime + stime of every process from /proc before and after an 8 s load point at 50
connections, and divides each kind's CPU (gunicorn, postgres, redis) by the requests served:
where a verification's cost goes when the app, PostgreSQL and Redis share the two cores.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from bench import load, loadgen
from bench.bench_verify import CLIENTS, ENDPOINTS, GUNICORN, tokens_file
from bench.common import PG_BASE, RESULTS, Server, app_env, table

KINDS = ("gunicorn", "postgres", "redis")
_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_by_kind() -> dict[str, float]:
    """CPU seconds used so far by the live processes of each kind."""
    totals = dict.fromkeys(KINDS, 0.0)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while we looked
            continue
        kind = next((k for k in KINDS if k in command), None)
        if kind:
            totals[kind] += (int(fields[11]) + int(fields[12])) / _TICKS
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", nargs="?", default="gthread-w2-t4", choices=sorted(GUNICORN))
    parser.add_argument("--scale", type=int, default=1_000_000)
    args = parser.parse_args()
    url = f"{PG_BASE}/lpg_bench_{args.scale}"
    marker = load.read_marker(url)
    if marker is None:
        raise SystemExit(f"no data set at {url}: run python -m bench.generate first")
    path, _ = tokens_file(url)
    env = app_env(url, marker["seed"]) | {"TRUSTED_PROXY_HOPS": "1"}
    rows = []
    with Server(env, GUNICORN[args.config], RESULTS / "tmp" / "cpu-split.log") as server:
        loadgen.wrk(server.base, "/api/v1/verify/", connections=10, duration_s=2, tokens_file=path)
        for name, prefix, accept, with_tokens in ENDPOINTS:
            before = cpu_by_kind()
            result = loadgen.wrk(
                server.base,
                prefix,
                connections=50,
                duration_s=8,
                tokens_file=path if with_tokens else None,
                accept=accept,
                clients=CLIENTS,
            )
            after = cpu_by_kind()
            served = max(result["requests"], 1)
            row = {"endpoint": name, "rps": result["rps"], "p99_ms": result["p99_ms"]}
            for kind in KINDS:
                row[f"{kind}_ms"] = round((after[kind] - before[kind]) / served * 1000, 3)
            rows.append(row)
    print(table(f"CPU per request · {args.config} · 50 connections", rows))


if __name__ == "__main__":
    main()
