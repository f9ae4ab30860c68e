"""Login cost: one argon2id hash with the app's parameters (OWASP minimum ≤ cost ≤ 100 ms)."""

from __future__ import annotations

from bench.common import Run, timed
from traceability.passwords import HASHER, verify_password

OWASP_MINIMUM = {"memory_kib": 19 * 1024, "time_cost": 2, "parallelism": 1}
MAX_MS = 100.0


def run(suite: Run, marker: dict) -> dict:
    params = HASHER._parameters
    actual = {
        "type": params.type.name,
        "memory_kib": params.memory_cost,
        "time_cost": params.time_cost,
        "parallelism": params.parallelism,
    }
    stored = HASHER.hash("correct horse battery staple")
    hash_ms = timed(
        lambda: HASHER.hash("correct horse battery staple"), 30 if suite.mode == "quick" else 100
    )
    verify_ms = timed(lambda: verify_password(stored, "correct horse battery staple"), 30)
    at_least_owasp = (
        actual["type"] == "ID"
        and actual["memory_kib"] >= OWASP_MINIMUM["memory_kib"]
        and actual["time_cost"] >= OWASP_MINIMUM["time_cost"]
        and actual["parallelism"] >= OWASP_MINIMUM["parallelism"]
    )
    return {
        "parameters": actual,
        "owasp_minimum": OWASP_MINIMUM,
        "hash": hash_ms,
        "verify": verify_ms,
        "targets_met": {
            "owasp_minimum": at_least_owasp,
            "hash_p50_le_100ms": hash_ms["p50_ms"] <= MAX_MS,
        },
        "rows": [
            {"operation": "hash", **hash_ms},
            {"operation": "verify", **verify_ms},
        ],
    }
