"""What every benchmark shares: the run's settings, results files, tables, servers, availability."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.reference import bench_secrets

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
PG_BASE = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432")
SQLITE_DIR = Path(os.environ.get("BENCH_SQLITE_DIR", "/tmp/lpg_bench"))  # noqa: S108 - scratch data


class NotAvailable(Exception):
    """The code a benchmark measures does not exist (yet); reported, not a failure."""


@dataclass
class Run:
    """One invocation of the suite: its mode and the scales and durations that follow from it."""

    mode: str  # "quick" or "full"
    scale: int
    sqlite_scale: int
    duration_s: int
    connections: tuple[int, ...]
    gunicorn: tuple[str, ...]
    results: dict[str, Any] = field(default_factory=dict)

    @property
    def pg_url(self) -> str:
        return f"{PG_BASE}/lpg_bench_{self.scale}"

    @property
    def sqlite_url(self) -> str:
        return f"sqlite:///{SQLITE_DIR / f'lpg_bench_{self.sqlite_scale}.sqlite3'}"


def environment() -> dict[str, Any]:
    """Where and when: machine, load (other work on the box skews every figure), versions."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    ).stdout.strip()
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": platform.python_version(),
        "commit": commit,
        "load_average": os.getloadavg(),
    }


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def timed(fn: Callable[[], Any], repeat: int, warmup: int = 2) -> dict[str, float]:
    """Median, p99 and mean of `repeat` calls in milliseconds, after a few warm-up calls."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return {
        "n": repeat,
        "p50_ms": round(statistics.median(samples), 3),
        "p99_ms": round(percentile(samples, 99), 3),
        "mean_ms": round(statistics.fmean(samples), 3),
    }


def table(title: str, rows: list[dict[str, Any]]) -> str:
    """A plain-text table of dict rows (same keys), printed after each benchmark."""
    if not rows:
        return f"\n{title}: (no rows)\n"
    keys = list(rows[0])
    cells = [[_cell(row.get(k)) for k in keys] for row in rows]
    widths = [max(len(k), *(len(c[i]) for c in cells)) for i, k in enumerate(keys)]
    line = "  ".join(k.ljust(w) for k, w in zip(keys, widths, strict=True))
    body = "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in cells)
    return f"\n{title}\n{line}\n{'-' * len(line)}\n{body}\n"


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 100 else f"{value:,.0f}"
    return "" if value is None else str(value)


def write_result(name: str, payload: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, default=str, ensure_ascii=False) + "\n")
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def app_env(database_url: str, seed: int) -> dict[str, str]:
    """Environment for an app process on a bench database: its secrets, limits raised."""
    env = dict(os.environ)
    env.update(bench_secrets(seed))
    env.update(
        {
            "DATABASE_URL": database_url,
            "LPG_ENV": "development",
            # Production keeps limits in Redis; the bench uses its own Redis db (13).
            "RATELIMIT_STORAGE_URI": os.environ.get(
                "BENCH_RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/13"
            ),
            "VERIFY_RATE_LIMIT": "100000000/minute;100000000/day",  # production shape: two windows
            "REPORT_RATE_LIMIT": "100000000/minute",
            "LOGIN_LIMIT_PER_IP": "100000000/minute",
            "LOGIN_FAILURES_PER_ACCOUNT": "100000000/minute",
            "PUBLIC_BASE_URL": "https://lpg.example.vn",
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


class Server:
    """gunicorn on 127.0.0.1 with a free port; stopped by its PID on exit, error or Ctrl-C."""

    def __init__(self, env: dict[str, str], options: Sequence[str], log: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
        command = [gunicorn, "--bind", f"127.0.0.1:{self.port}", *options, "wsgi:app"]
        self.command = " ".join(command[1:])
        log.parent.mkdir(parents=True, exist_ok=True)
        self._log = log.open("w")
        self.process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            command, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )

    def __enter__(self) -> Server:
        deadline = time.monotonic() + 300  # a loaded 2-core box can take a minute to import
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited early; see {self._log.name}")
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2):  # noqa: S310
                    return self
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("gunicorn did not answer /healthz within 300 s")

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """SIGTERM the master by PID (it stops its workers), SIGKILL if it lingers."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def app_routes() -> set[str]:
    """URL rules of the app as built now, to tell which benchmarks have something to measure."""
    import logging

    from traceability.web.app import create_app

    logging.disable(logging.INFO)
    app = create_app({"DATABASE_URL": "sqlite://", "INSTANCE_PATH": str(SQLITE_DIR / "instance")})
    logging.disable(logging.NOTSET)
    return {rule.rule for rule in app.url_map.iter_rules()}
