"""HTTP load with wrk (Debian package), bounded in time, aimed at 127.0.0.1 only.

A Lua script picks a random token per request from a file and prints exact percentiles as JSON.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

from bench.common import RESULTS, NotAvailable

SCRIPT = r"""
local tokens = {}
local prefix = os.getenv("BENCH_PREFIX") or "/"
local accept = os.getenv("BENCH_ACCEPT") or "*/*"
local file = os.getenv("BENCH_TOKENS")
if file and #file > 0 then
  for line in io.lines(file) do
    if #line > 0 then tokens[#tokens + 1] = line end
  end
end
local clients = tonumber(os.getenv("BENCH_CLIENTS") or "0")
local made = 0
function setup(thread)
  made = made + 1
  thread:set("tid", made)
end
function init(args)
  math.randomseed(7919 * (tid or 1))
end
function request()
  local path = prefix
  if #tokens > 0 then path = prefix .. tokens[math.random(#tokens)] end
  local headers = {["Accept"] = accept}
  if clients > 0 then
    local n = math.random(clients)
    headers["X-Forwarded-For"] = string.format("10.%d.%d.%d",
      math.floor(n / 65536) % 256, math.floor(n / 256) % 256, n % 256)
  end
  return wrk.format("GET", path, headers)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
    '"max_us":%d,"mean_us":%.1f,"errors_connect":%d,"errors_read":%d,"errors_write":%d,' ..
    '"errors_status":%d,"errors_timeout":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean, e.connect, e.read, e.write, e.status,
    e.timeout))
end
"""


def _script() -> Path:
    path = RESULTS / "tmp" / "pick_token.lua"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(SCRIPT)
    return path


def wrk(
    base_url: str,
    prefix: str,
    *,
    connections: int,
    duration_s: int,
    tokens_file: Path | None = None,
    accept: str = "application/json",
    threads: int = 2,
    clients: int = 0,
) -> dict:
    """Drive GET <base><prefix><token> for `duration_s`; returns req/s, p50/p90/p99 ms, errors.

    `clients` > 0 sends a random X-Forwarded-For among that many addresses per request (the app
    must trust one proxy hop), as consumers behind a reverse proxy would appear.
    """
    if urlsplit(base_url).hostname != "127.0.0.1":
        raise ValueError("load is only ever aimed at 127.0.0.1")
    binary = shutil.which("wrk")
    if binary is None:
        raise NotAvailable("wrk is not installed (Debian package wrk)")
    env = dict(os.environ)
    env.update(
        {
            "BENCH_PREFIX": prefix,
            "BENCH_ACCEPT": accept,
            "BENCH_TOKENS": str(tokens_file or ""),
            "BENCH_CLIENTS": str(clients),
        }
    )
    command = [
        binary,
        f"-t{min(threads, connections)}",
        f"-c{connections}",
        f"-d{duration_s}s",
        "--timeout",
        "10s",
        "-s",
        str(_script()),
        base_url,
    ]
    done = subprocess.run(  # noqa: S603 - fixed argv
        command, capture_output=True, text=True, env=env, timeout=duration_s + 60, check=False
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed: {done.stdout[-500:]} {done.stderr[-500:]}")
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    seconds = raw["duration_us"] / 1e6
    errors = sum(v for k, v in raw.items() if k.startswith("errors_"))
    return {
        "connections": connections,
        "requests": raw["requests"],
        "rps": round(raw["requests"] / seconds, 1) if seconds else 0.0,
        "p50_ms": raw["p50_us"] / 1000,
        "p90_ms": raw["p90_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "max_ms": raw["max_us"] / 1000,
        "non_2xx": raw["errors_status"],
        "errors": errors - raw["errors_status"],
    }
