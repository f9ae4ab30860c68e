"""Public verification under gunicorn: JSON verify, HTML page and /healthz in the same run.

The ratios verify/trivial and page/trivial cancel out the machine's speed (and the load
generator sharing its two cores), so they are the figures the targets are set on.
"""

from __future__ import annotations

import json
import random
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

from sqlalchemy import create_engine, text

from bench import loadgen
from bench.common import RESULTS, NotAvailable, Run, Server, app_env, app_routes, table
from bench.load import TOKENS_TABLE

TARGETS = {"json_ratio": 0.45, "page_ratio": 0.40, "p99_ms_at_50": 25.0}
# Consumers behind one trusted reverse proxy: each request comes from one of this many
# addresses. From a single address, flask-limiter's in-memory moving window would hold every
# request of the last minute for one key and cost O(n) per hit: a load-test artefact.
CLIENTS = 5000
ENDPOINTS = (
    ("trivial", "/healthz", "application/json", False),
    ("json", "/api/v1/verify/", "application/json", True),
    ("page", "/v/", "text/html", True),
)
# --timeout 120: a starved worker on a shared box must not be killed mid-run (default 30 s).
GUNICORN = {
    "sync-w2": ("--workers", "2", "--timeout", "120"),
    "sync-w3": ("--workers", "3", "--timeout", "120"),
    "gthread-w2-t4": (
        "--workers",
        "2",
        "--worker-class",
        "gthread",
        "--threads",
        "4",
        "--timeout",
        "120",
    ),
}


def tokens_file(url: str, limit: int = 20_000) -> tuple[Path, Counter]:
    """Sampled tokens of the data set (mixed verdicts) plus ~2% tampered ones (not genuine)."""
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            text(f"SELECT token, verdict FROM {TOKENS_TABLE} LIMIT :n"),  # noqa: S608
            {"n": limit},
        ).all()
    engine.dispose()
    rng = random.Random(7)
    tokens = [row[0] for row in rows]
    expected = Counter(row[1] for row in rows)
    for token in rng.sample(tokens, max(1, len(tokens) // 50)):
        spot = rng.randrange(10, len(token) - 2)
        tokens.append(token[:spot] + ("A" if token[spot] != "A" else "B") + token[spot + 1 :])
        expected["tampered"] += 1
    rng.shuffle(tokens)
    path = RESULTS / "tmp" / "tokens.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(tokens) + "\n")
    return path, expected


def observed_verdicts(base: str, path: Path, n: int = 300) -> Counter:
    """Ask the running app about a sample of tokens: proof the load really has mixed verdicts."""
    seen: Counter = Counter()
    for token in path.read_text().split()[:n]:
        try:
            with urllib.request.urlopen(f"{base}/api/v1/verify/{token}", timeout=10) as answer:  # noqa: S310
                seen[json.loads(answer.read()).get("verdict", "?")] += 1
        except urllib.error.HTTPError as exc:
            seen[f"http_{exc.code}"] += 1
    return seen


def _point(base: str, connections: int, duration: int, path: Path) -> list[dict]:
    rows = []
    for name, prefix, accept, with_tokens in ENDPOINTS:
        result = loadgen.wrk(
            base,
            prefix,
            connections=connections,
            duration_s=duration,
            tokens_file=path if with_tokens else None,
            accept=accept,
            clients=CLIENTS,
        )
        rows.append({"endpoint": name, **result})
    trivial = rows[0]["rps"] or 1.0
    for row in rows:
        row["ratio"] = round(row["rps"] / trivial, 3)
    return rows


def run(suite: Run, marker: dict) -> dict:
    routes = app_routes()
    if not any(r.startswith("/api/v1/verify/<") for r in routes) or not any(
        r.startswith("/v/<") for r in routes
    ):
        raise NotAvailable("GET /api/v1/verify/<token> or GET /v/<token> is not registered")
    path, expected = tokens_file(suite.pg_url)
    env = app_env(suite.pg_url, marker["seed"]) | {"TRUSTED_PROXY_HOPS": "1"}
    configs = {}
    for config_name in suite.gunicorn:
        options = GUNICORN[config_name]
        log = RESULTS / "tmp" / f"gunicorn-{config_name}.log"
        with Server(env, options, log) as server:
            observed = observed_verdicts(server.base, path)
            loadgen.wrk(
                server.base, "/api/v1/verify/", connections=10, duration_s=2, tokens_file=path
            )
            points = []
            for connections in suite.connections:
                rows = _point(server.base, connections, suite.duration_s, path)
                points.extend(rows)
                print(table(f"verify · {config_name} · {connections} connections", rows))
            configs[config_name] = {"command": server.command, "points": points}
    best = max(configs, key=lambda name: _at(configs[name]["points"], "json", 50)["rps"])
    points = configs[best]["points"]
    summary = {
        "best_config": best,
        "json_ratio_at_50": _at(points, "json", 50)["ratio"],
        "page_ratio_at_50": _at(points, "page", 50)["ratio"],
        "json_p99_ms_at_50": _at(points, "json", 50)["p99_ms"],
        "page_p99_ms_at_50": _at(points, "page", 50)["p99_ms"],
        "json_rps_at_50": _at(points, "json", 50)["rps"],
        "trivial_rps_at_50": _at(points, "trivial", 50)["rps"],
    }
    summary["targets_met"] = {
        "json_ratio": summary["json_ratio_at_50"] >= TARGETS["json_ratio"],
        "page_ratio": summary["page_ratio_at_50"] >= TARGETS["page_ratio"],
        "json_p99": summary["json_p99_ms_at_50"] <= TARGETS["p99_ms_at_50"],
    }
    return {
        "database": "postgresql",
        "scale": suite.scale,
        "duration_s_per_point": suite.duration_s,
        "client_addresses": CLIENTS,
        "tokens": sum(expected.values()),
        "expected_verdicts": dict(expected),
        "observed_verdicts_sample": dict(observed),
        "targets": TARGETS,
        "summary": summary,
        "configs": configs,
    }


def _at(points: list[dict], endpoint: str, connections: int) -> dict:
    """The row for an endpoint at 50 connections (or the nearest level measured)."""
    rows = [p for p in points if p["endpoint"] == endpoint]
    return min(rows, key=lambda p: abs(p["connections"] - connections))
