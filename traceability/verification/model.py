"""The vocabulary of public verification: verdicts, their precedence, settings and results."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from traceability.labels.codec import LabelClaims


class Verdict(StrEnum):
    """What a scan of a label means; listed from most to least severe (the precedence)."""

    NOT_GENUINE = "not_genuine"
    KEY_REVOKED = "key_revoked"
    CYLINDER_FLAGGED = "cylinder_flagged"
    SUPERSEDED = "superseded"
    INSPECTION_EXPIRED = "inspection_expired"
    SUSPECTED_COPY = "suspected_copy"
    GENUINE = "genuine"


PRECEDENCE: tuple[Verdict, ...] = tuple(Verdict)

# Every reason code and the verdict it forces; warnings (None) never change the verdict.
REASON_VERDICT: dict[str, Verdict | None] = {
    "empty": Verdict.NOT_GENUINE,
    "malformed": Verdict.NOT_GENUINE,
    "too_long": Verdict.NOT_GENUINE,
    "unsupported_version": Verdict.NOT_GENUINE,
    "bad_check": Verdict.NOT_GENUINE,
    "unknown_key": Verdict.NOT_GENUINE,
    "bad_signature": Verdict.NOT_GENUINE,
    "not_in_registry": Verdict.NOT_GENUINE,
    "signed_outside_key_validity": Verdict.NOT_GENUINE,
    "manual_code_not_found": Verdict.NOT_GENUINE,
    "key_revoked": Verdict.KEY_REVOKED,
    "cylinder_quarantined": Verdict.CYLINDER_FLAGGED,
    "cylinder_scrapped": Verdict.CYLINDER_FLAGGED,
    "cylinder_lost": Verdict.CYLINDER_FLAGGED,
    "cylinder_stolen": Verdict.CYLINDER_FLAGGED,
    "cylinder_seized": Verdict.CYLINDER_FLAGGED,
    "superseded": Verdict.SUPERSEDED,
    "inspection_expired": Verdict.INSPECTION_EXPIRED,
    "many_devices": Verdict.SUSPECTED_COPY,
    "holder_elsewhere": Verdict.SUSPECTED_COPY,
    "inspection_due_soon": None,
    "key_revoked_later": None,
}


def verdict_for(reasons: list[str]) -> Verdict:
    """The most severe verdict any reason forces; genuine when none does."""
    forced = {REASON_VERDICT.get(reason, Verdict.NOT_GENUINE) for reason in reasons}
    return next((verdict for verdict in PRECEDENCE if verdict in forced), Verdict.GENUINE)


@dataclass(frozen=True, slots=True)
class VerifySettings:
    """Thresholds of the rules, read once from the app config (see docs/verification.md)."""

    copy_window_minutes: int = 60
    copy_distinct_devices: int = 5
    inspection_warning_days: int = 30
    gross_tolerance_kg: float = 0.3

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> VerifySettings:
        return cls(
            copy_window_minutes=int(config["COPY_WINDOW_MINUTES"]),
            copy_distinct_devices=int(config["COPY_DISTINCT_DEVICES"]),
            inspection_warning_days=int(config["INSPECTION_WARNING_DAYS"]),
            gross_tolerance_kg=float(config["GROSS_NET_TOLERANCE_KG"]),
        )


@dataclass(frozen=True, slots=True)
class ScanContext:
    """Who scanned, pseudonymously: no raw IP, only a keyed hash and volunteered coarse place."""

    client_hash: str = ""
    device_class: str = "unknown"
    latitude: float | None = None
    longitude: float | None = None
    facility_id: int | None = None


@dataclass(slots=True)
class Verification:
    """The outcome of one verification; `public` is the only part shown to the public."""

    verdict: str
    reasons: list[str]
    label_id: int | None = None
    cylinder_id: int | None = None
    claims: LabelClaims | None = None
    public: dict[str, Any] = field(default_factory=dict)
    alert: dict[str, Any] | None = None
