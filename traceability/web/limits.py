"""Rate limiting (flask-limiter): memory for the demo, Redis across workers in production."""

from __future__ import annotations

import logging

from flask import Flask, request
from flask_limiter import Limiter

log = logging.getLogger("lpgtrace.limits")


def client_ip() -> str:
    """The caller's address as resolved through exactly TRUSTED_PROXY_HOPS proxies (ProxyFix)."""
    return request.remote_addr or "unknown"


limiter = Limiter(
    key_func=client_ip,
    headers_enabled=True,
    in_memory_fallback_enabled=True,
    swallow_errors=True,
    strategy="fixed-window",  # one counter per window: one Redis INCR, not a sorted-set scan
    key_prefix="lpgtrace",
)


def register(app: Flask) -> None:
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    limiter.init_app(app)
