"""Configuration from environment variables, with safe defaults for the embedded demo."""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

SECRET_NAMES = ("SECRET_KEY", "MASTER_KEY", "SCAN_SALT")


class ConfigurationError(RuntimeError):
    """Raised at start-up when production configuration is unsafe or incomplete."""


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def defaults(instance_path: Path) -> dict[str, Any]:
    """Every setting the app reads, from the environment or a demo-safe default."""
    redis_url = os.environ.get("REDIS_URL", "")
    return {
        "LPG_ENV": os.environ.get("LPG_ENV", "development"),
        "DATABASE_URL": os.environ.get(
            "DATABASE_URL", f"sqlite:///{instance_path / 'lpgtrace.sqlite3'}"
        ),
        "DATABASE_POOL_SIZE": _env_int("DATABASE_POOL_SIZE", 10),
        "REDIS_URL": redis_url,
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", redis_url or "memory://"),
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000"),
        "SECRET_KEY": os.environ.get("SECRET_KEY"),
        "MASTER_KEY": os.environ.get("MASTER_KEY"),
        "SCAN_SALT": os.environ.get("SCAN_SALT"),
        "TRUSTED_PROXY_HOPS": _env_int("TRUSTED_PROXY_HOPS", 0),
        "MAX_CONTENT_LENGTH": _env_int("MAX_CONTENT_LENGTH", 4 * 1024 * 1024),
        "ACCESS_TOKEN_MINUTES": _env_int("ACCESS_TOKEN_MINUTES", 15),
        "REFRESH_TOKEN_DAYS": _env_int("REFRESH_TOKEN_DAYS", 14),
        "JWT_AUDIENCE": "lpg-trace-api",
        "JWT_ISSUER": os.environ.get("JWT_ISSUER", "lpg-trace"),
        "LOGIN_LIMIT_PER_IP": os.environ.get("LOGIN_LIMIT_PER_IP", "30/minute;300/hour"),
        "LOGIN_FAILURES_PER_ACCOUNT": os.environ.get("LOGIN_FAILURES_PER_ACCOUNT", "100/hour"),
        "VERIFY_RATE_LIMIT": os.environ.get("VERIFY_RATE_LIMIT", "60/minute;2000/day"),
        "REPORT_RATE_LIMIT": os.environ.get("REPORT_RATE_LIMIT", "5/minute;20/day"),
        "FILL_MASS_TOLERANCE_KG": _env_float("FILL_MASS_TOLERANCE_KG", 0.3),
        "GROSS_NET_TOLERANCE_KG": _env_float("GROSS_NET_TOLERANCE_KG", 0.3),
        "CLOCK_SKEW_SECONDS": _env_int("CLOCK_SKEW_SECONDS", 300),
        "SCAN_RETENTION_DAYS": _env_int("SCAN_RETENTION_DAYS", 365),
        "COPY_WINDOW_MINUTES": _env_int("COPY_WINDOW_MINUTES", 60),
        "COPY_DISTINCT_DEVICES": _env_int("COPY_DISTINCT_DEVICES", 5),
        "INSPECTION_WARNING_DAYS": _env_int("INSPECTION_WARNING_DAYS", 30),
        "LEDGER_MAX_DAYS": _env_int("LEDGER_MAX_DAYS", 366),
        "LEDGER_PDF_MAX_ROWS": _env_int("LEDGER_PDF_MAX_ROWS", 10_000),
        "LEDGER_EXPORT_MAX_ROWS": _env_int("LEDGER_EXPORT_MAX_ROWS", 300_000),
        # Statistics count days in the province's local time (Vietnam: UTC+7, no DST).
        "STATS_UTC_OFFSET_HOURS": _env_int("STATS_UTC_OFFSET_HOURS", 7),
        "STATS_REFRESH_LOOKBACK_DAYS": _env_int("STATS_REFRESH_LOOKBACK_DAYS", 7),
        "PAGE_ASSET_RATE_LIMIT": os.environ.get("PAGE_ASSET_RATE_LIMIT", "300/minute"),
        "SCAN_LOG_BATCH_SIZE": _env_int("SCAN_LOG_BATCH_SIZE", 200),
        "SCAN_LOG_FLUSH_SECONDS": _env_float("SCAN_LOG_FLUSH_SECONDS", 1.0),
        "SCAN_LOG_QUEUE_MAX": _env_int("SCAN_LOG_QUEUE_MAX", 10000),
        "API_TITLE": "LPG Trace API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "/docs",
        "OPENAPI_SWAGGER_UI_URL": os.environ.get(
            "OPENAPI_SWAGGER_UI_URL", "https://cdn.jsdelivr.net/npm/swagger-ui-dist/"
        ),
        "JSON_SORT_KEYS": False,
    }


def _load_or_create_secret(instance_path: Path, name: str) -> str:
    """Demo only: a secret generated once into instance/ so restarts keep tokens and keys valid."""
    path = instance_path / f"{name.lower()}.secret"
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    value = base64.b64encode(secrets.token_bytes(32)).decode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


def resolve(instance_path: Path, overrides: Mapping[str, Any] | None) -> dict[str, Any]:
    """Merge defaults and overrides, then fill or demand secrets depending on LPG_ENV."""
    settings = defaults(instance_path)
    settings.update(overrides or {})
    missing = [name for name in SECRET_NAMES if not settings.get(name)]
    if settings["LPG_ENV"] == "production":
        if missing:
            raise ConfigurationError(
                "LPG_ENV=production requires these environment variables: "
                + ", ".join(missing)
                + " (MASTER_KEY is 32 random bytes in base64: "
                "python -c 'import os,base64;print(base64.b64encode(os.urandom(32)).decode())')"
            )
        if settings["DATABASE_URL"].startswith("sqlite"):
            raise ConfigurationError("LPG_ENV=production requires DATABASE_URL for PostgreSQL")
        if settings["RATELIMIT_STORAGE_URI"].startswith("memory"):
            raise ConfigurationError("LPG_ENV=production requires REDIS_URL for shared rate limits")
    for name in missing:
        settings[name] = _load_or_create_secret(instance_path, name)
    master = base64.b64decode(settings["MASTER_KEY"])
    if len(master) != 32:
        raise ConfigurationError("MASTER_KEY must be 32 bytes, base64-encoded")
    return settings
