"""Shared limits in Redis across separate app processes; a dead Redis never stops verification."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.tools import require_redis
from traceability.web.limits import limiter

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(port: int, path: str) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def wait_ready(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read() if process.stderr else "exited"
        try:
            if get(port, "/healthz") == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"app on port {port} did not start")


@pytest.mark.redis
def test_limit_holds_across_separate_app_processes(app_config: dict[str, Any]):
    redis_url = require_redis()
    config = {
        **app_config,
        "RATELIMIT_STORAGE_URI": redis_url,
        "RATELIMIT_STORAGE_OPTIONS": {"key_prefix": f"lpgtest-{uuid.uuid4().hex}"},
        "VERIFY_RATE_LIMIT": "4/minute",
    }
    ports = [free_port(), free_port()]
    processes = [
        subprocess.Popen(  # noqa: S603 - our own interpreter and module, fixed arguments
            [sys.executable, "-m", "tests.verification.serve_app", str(port), json.dumps(config)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        for port in ports
    ]
    try:
        for port, process in zip(ports, processes, strict=True):
            wait_ready(port, process)
        answers = [get(ports[n % 2], "/api/v1/verify/JUNK") for n in range(4)]
        assert answers == [200, 200, 200, 200], "each process saw only two requests"
        assert get(ports[0], "/api/v1/verify/JUNK") == 429
        assert get(ports[1], "/v/JUNK") == 429
    finally:
        for process in processes:
            process.terminate()
            process.communicate(timeout=30)


@pytest.fixture
def dead_redis(app_config: dict[str, Any]):
    config = {
        **app_config,
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0",
        "VERIFY_RATE_LIMIT": "3/minute",
    }
    yield config
    limiter._storage_dead = False  # the limiter is process-wide; later apps start healthy


def test_verification_answers_when_redis_is_down(dead_redis, caplog):
    from traceability.web.app import create_app

    app = create_app(dead_redis)
    client = app.test_client()
    try:
        with caplog.at_level(logging.WARNING):
            answers = [client.get("/api/v1/verify/JUNK") for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 200]
        assert answers[0].json["verdict"] == "not_genuine"
        assert any("falling back to in-memory" in r.getMessage() for r in caplog.records)
        assert client.get("/api/v1/verify/JUNK").status_code == 429, "limits still apply in memory"
        assert client.get("/v/JUNK", headers={"Accept": "text/html"}).status_code == 429
    finally:
        app.extensions["lpg_db"].dispose()


@pytest.mark.redis
def test_rate_limit_headers_cost_no_extra_redis_round_trips(app_config, monkeypatch):
    """Two windows (minute, day) cost two Redis calls per request, headers included."""
    import redis

    from traceability.web.app import create_app

    config = {
        **app_config,
        "RATELIMIT_STORAGE_URI": require_redis(),
        "RATELIMIT_STORAGE_OPTIONS": {"key_prefix": f"lpgtest-{uuid.uuid4().hex}"},
        "VERIFY_RATE_LIMIT": "5/minute;50/day",
    }
    app = create_app(config)
    client = app.test_client()
    calls: list[str] = []
    original = redis.Redis.execute_command

    def counting(self: redis.Redis, *args: Any, **options: Any) -> Any:
        calls.append(str(args[0]))
        return original(self, *args, **options)

    monkeypatch.setattr(redis.Redis, "execute_command", counting)
    try:
        client.get("/api/v1/verify/JUNK")  # first use registers the script (EVALSHA, then EVAL)
        calls.clear()
        second = client.get("/api/v1/verify/JUNK")
        assert calls == ["EVALSHA", "EVALSHA"], calls
        assert second.headers["X-RateLimit-Limit"] == "5"
        assert second.headers["X-RateLimit-Remaining"] == "3"
        assert 0 < int(second.headers["X-RateLimit-Reset"]) - time.time() <= 61
        for _ in range(3):
            client.get("/api/v1/verify/JUNK")
        refused = client.get("/api/v1/verify/JUNK")
        assert refused.status_code == 429
        assert refused.headers["X-RateLimit-Remaining"] == "0"
        assert 0 < int(refused.headers["Retry-After"]) <= 61
    finally:
        app.extensions["lpg_db"].dispose()
