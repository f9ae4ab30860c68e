"""The public answer: only business facts about the cylinder, never anyone's personal data."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row

from traceability.localtime import local_day
from traceability.verification.messages import reason_messages, verdict_message
from traceability.verification.model import Verdict, VerifySettings

# Verdicts whose label cannot be trusted: nothing it claims is shown.
UNTRUSTED = frozenset({Verdict.NOT_GENUINE, Verdict.KEY_REVOKED})


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _kg(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _custody(row: Row[Any]) -> dict[str, Any] | None:
    holder = row.holder_facility_name or row.holder_org_name
    if holder is None:
        return None
    return {
        "holder": holder,
        "holder_kind": row.holder_facility_kind,
        "since": _iso(row.last_movement_at),
    }


def public_facts(
    verdict: str, reasons: list[str], row: Row[Any] | None, now: datetime, settings: VerifySettings
) -> dict[str, Any]:
    """The JSON every channel shows: verdict, reasons and, for a trusted label, the facts."""
    answer: dict[str, Any] = {
        "verdict": verdict,
        "reasons": reason_messages(reasons),
        "message": verdict_message(verdict),
        "checked_at": _iso(now),
        "label": None,
        "cylinder": None,
        "fill": None,
        "latest_fill": None,
        "custody": None,
        "checks": None,
    }
    if row is None or verdict in UNTRUSTED:
        return answer
    days_left = (row.inspection_due - local_day(now)).days
    answer["label"] = {
        "manual_code": row.manual_code,
        "issued_at": _iso(row.issued_at),
        "current": row.current_label_id == row.label_id and row.superseded_at is None,
        "superseded_at": _iso(row.superseded_at),
    }
    answer["cylinder"] = {
        "serial": row.serial,
        "brand_code": row.brand_code,
        "brand_name": row.brand_name,
        "owner": row.owner_name,
        "type_code": row.type_code,
        "type_name": row.type_name,
        "nominal_kg": _kg(row.nominal_kg),
        "tare_kg": _kg(row.tare_kg),
        "inspection_due": row.inspection_due.isoformat(),
        "inspection_days_left": days_left,
        "inspection_warning": 0 <= days_left <= settings.inspection_warning_days,
        "status": row.cylinder_status,
    }
    answer["fill"] = {
        "filled_at": _iso(row.filled_at),
        "net_kg": _kg(row.net_kg),
        "station_name": row.station_name,
        "station_address": row.station_address,
    }
    if verdict == Verdict.SUPERSEDED and row.latest_filled_at is not None:
        answer["latest_fill"] = {
            "filled_at": _iso(row.latest_filled_at),
            "net_kg": _kg(row.latest_net_kg),
            "station_name": row.latest_station_name,
            "station_address": row.latest_station_address,
        }
    answer["custody"] = _custody(row)
    answer["checks"] = {
        "serial": row.serial,
        "seal_intact": True,
        "expected_gross_kg": float(row.tare_kg + row.net_kg),
        "tolerance_kg": settings.gross_tolerance_kg,
    }
    return answer
