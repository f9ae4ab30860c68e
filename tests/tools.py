"""Skip a test whose system tool is missing, loudly; in CI (LPG_REQUIRE_SYSTEM_TOOLS=1) fail."""

from __future__ import annotations

import os
import shutil

import pytest


def require(available: bool, what: str, install: str) -> None:
    """Skip (locally) or fail (in CI) when a system tool the test needs is absent."""
    if available:
        return
    message = f"{what} is not installed: {install}"
    if os.environ.get("LPG_REQUIRE_SYSTEM_TOOLS"):
        pytest.fail(message + " (.ci/run installs it; CI runs every test)")
    pytest.skip(message)


def require_command(command: str, install: str) -> str:
    path = shutil.which(command)
    require(path is not None, command, install)
    assert path is not None
    return path


def require_zbar() -> None:
    try:
        from pyzbar import pyzbar  # noqa: F401
    except (ImportError, OSError):
        require(False, "libzbar", "apt-get install libzbar0 zbar-tools")


def require_postgres() -> str:
    from tests.conftest import ON_POSTGRES, TEST_DATABASE_URL

    if not ON_POSTGRES:
        pytest.skip("PostgreSQL-only test: set TEST_DATABASE_URL (CI's second run does)")
    return TEST_DATABASE_URL


def require_redis() -> str:
    from tests.conftest import TEST_REDIS_URL

    require(bool(TEST_REDIS_URL), "Redis (TEST_REDIS_URL)", "redis-server; .ci/run sets it")
    return TEST_REDIS_URL
