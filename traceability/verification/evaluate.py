"""verify_token: from a scanned token to a verdict in one indexed query (two on failure paths)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row
from sqlalchemy.orm import Session

from traceability.db import upsert_insert
from traceability.labels.codec import (
    ParsedToken,
    TokenError,
    parse_manual_code,
    parse_token,
    signature_holds,
    token_from_text,
)
from traceability.models import Anomaly
from traceability.models.custody import ANOMALY_NOT_CLOSED
from traceability.models.enums import FLAGGED_STATUSES, FacilityKind, KeyStatus
from traceability.verification import lookup
from traceability.verification.facts import local_day, public_facts
from traceability.verification.lookup import Executor
from traceability.verification.model import ScanContext, Verification, VerifySettings, verdict_for

log = logging.getLogger("lpgtrace.verification")

ANOMALY_UNREGISTERED = "unregistered_label"


def _floor_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _key_reasons(row: Row[Any], filled_at: datetime) -> list[str]:
    """Key life cycle (label-format.md section 7, steps 4 and 5) against the claimed fill time."""
    compromised = row.key_compromised_at
    if row.key_status == KeyStatus.REVOKED and (
        compromised is None or filled_at >= _floor_minute(compromised)
    ):
        return ["key_revoked"]
    if filled_at < _floor_minute(row.key_valid_from) or (
        row.key_retired_at is not None and filled_at > row.key_retired_at
    ):
        return ["signed_outside_key_validity"]
    return ["key_revoked_later"] if row.key_status == KeyStatus.REVOKED else []


def _copy_reasons(row: Row[Any], settings: VerifySettings, ctx: ScanContext) -> list[str]:
    """Patterns one physical cylinder cannot produce (docs/verification.md, suspected copies)."""
    reasons = []
    if (
        ctx.facility_id is not None
        and row.holder_facility_id not in (None, ctx.facility_id)
        and row.holder_facility_kind == FacilityKind.RETAIL_SHOP
    ):
        reasons.append("holder_elsewhere")
    threshold = settings.copy_distinct_devices
    devices = row.other_devices + (1 if ctx.client_hash else 0)
    if threshold > 0 and devices >= threshold:
        reasons.append("many_devices")
    return reasons


def _row(
    executor: Executor, label_uid: bytes, now: datetime, settings: VerifySettings, ctx: ScanContext
) -> Row[Any] | None:
    return lookup.label_row(
        executor,
        label_uid,
        since=now - timedelta(minutes=settings.copy_window_minutes),
        client_hash=ctx.client_hash,
        device_cap=max(settings.copy_distinct_devices, 0),
    )


def _registry_reasons(
    row: Row[Any], now: datetime, settings: VerifySettings, ctx: ScanContext
) -> list[str]:
    reasons = []
    flagged = row.cylinder_status in FLAGGED_STATUSES
    if flagged:
        reasons.append(f"cylinder_{row.cylinder_status}")
    current = row.current_label_id == row.label_id and row.superseded_at is None
    if not current:
        reasons.append("superseded")
    days_left = (row.inspection_due - local_day(now)).days
    if days_left < 0:
        reasons.append("inspection_expired")
    elif days_left <= settings.inspection_warning_days:
        reasons.append("inspection_due_soon")
    if current and not flagged:
        reasons.extend(_copy_reasons(row, settings, ctx))
    return reasons


def _unregistered(
    executor: Executor, parsed: ParsedToken, now: datetime, settings: VerifySettings
) -> Verification:
    """The label is not the one the registry issued: forged, or signed with a stolen key."""
    claims = parsed.claims
    key = lookup.key_row(executor, claims.key_id)
    if key is None:
        reasons = ["unknown_key"]
    elif not signature_holds(parsed, key.public_key):
        reasons = ["bad_signature"]
    else:
        reasons = ["not_in_registry"]
    result = Verification(verdict_for(reasons).value, reasons, claims=claims)
    result.public = public_facts(result.verdict, reasons, None, now, settings)
    if key is not None and reasons == ["not_in_registry"]:
        log.warning(
            "label %s signed by key %s is not in the registry", claims.label_id.hex(), key.kid
        )
        cylinder_id = lookup.cylinder_by_brand_serial(executor, claims.brand_code, claims.serial)
        result.cylinder_id = cylinder_id
        result.alert = {
            "kind": ANOMALY_UNREGISTERED,
            "cylinder_id": cylinder_id,
            "detail": {
                "label_uid": claims.label_id.hex(),
                "kid": key.kid,
                "key_status": key.key_status,
                "station_id": key.station_id,
                "claimed_serial": claims.serial,
                "claimed_brand": claims.brand_code,
                "claimed_filled_at": claims.filled_at.isoformat(),
            },
            "created_at": now,
            "dedup_key": f"{ANOMALY_UNREGISTERED}:{claims.label_id.hex()}",
        }
    return result


def judge(
    executor: Executor,
    parsed: ParsedToken,
    token: str,
    row: Row[Any] | None,
    *,
    now: datetime,
    settings: VerifySettings,
    context: ScanContext,
) -> Verification:
    """Verdict for a decoded token given the registry's row for its label id (or None)."""
    if row is None or _canonical(row.token) != token:
        return _unregistered(executor, parsed, now, settings)
    if not signature_holds(parsed, row.public_key):
        log.error("registry label %s fails its own signature", row.label_id)
        reasons = ["bad_signature"]
    else:
        reasons = _key_reasons(row, parsed.claims.filled_at)
        if not reasons or reasons == ["key_revoked_later"]:
            reasons += _registry_reasons(row, now, settings, context)
    verdict = verdict_for(reasons).value
    return Verification(
        verdict=verdict,
        reasons=reasons,
        label_id=row.label_id,
        cylinder_id=row.cylinder_id,
        claims=parsed.claims,
        public=public_facts(verdict, reasons, row, now, settings),
    )


def _canonical(text: str) -> str:
    try:
        return token_from_text(text).upper()
    except TokenError:
        return ""


def _rejected(code: str, now: datetime, settings: VerifySettings) -> Verification:
    reasons = [code]
    verdict = verdict_for(reasons).value
    return Verification(
        verdict, reasons, public=public_facts(verdict, reasons, None, now, settings)
    )


def evaluate_token(
    executor: Executor,
    token_text: str,
    *,
    now: datetime,
    settings: VerifySettings,
    context: ScanContext,
) -> Verification:
    """Read-only verification; an alert it finds is returned in `.alert`, not written."""
    try:
        token = token_from_text(token_text).upper()
        parsed = parse_token(token)
    except TokenError as exc:
        return _rejected(exc.code, now, settings)
    row = _row(executor, parsed.claims.label_id, now, settings, context)
    return judge(executor, parsed, token, row, now=now, settings=settings, context=context)


def evaluate_manual(
    executor: Executor,
    code: str,
    serial: str,
    *,
    now: datetime,
    settings: VerifySettings,
    context: ScanContext,
) -> Verification:
    """Verification by the printed manual code plus the collar serial, for a damaged QR."""
    try:
        label_uid = parse_manual_code(code)
    except TokenError as exc:
        return _rejected(exc.code, now, settings)
    row = _row(executor, label_uid, now, settings, context)
    if row is None or _fold_serial(row.serial) != _fold_serial(serial):
        return _rejected("manual_code_not_found", now, settings)
    token = _canonical(row.token)
    try:
        parsed = parse_token(token)
    except TokenError:
        return _rejected("malformed", now, settings)
    return judge(executor, parsed, token, row, now=now, settings=settings, context=context)


def _fold_serial(serial: str) -> str:
    """Serials read off a collar: ignore case, spaces and hyphens."""
    return "".join(ch for ch in str(serial).upper() if ch.isalnum())


def write_alert(executor: Executor, alert: dict[str, Any]) -> None:
    """Queue the anomaly for inspectors in the caller's unit of work.

    The same finding while its case is not closed (e.g. one forged label scanned again and
    again) adds to that case's `occurrences` and `last_seen_at` instead of a new row.
    """
    bind = executor.get_bind() if isinstance(executor, Session) else executor
    statement = upsert_insert(bind)(Anomaly).values(**alert, last_seen_at=alert["created_at"])
    executor.execute(
        statement.on_conflict_do_update(
            index_elements=[Anomaly.dedup_key],
            index_where=ANOMALY_NOT_CLOSED,
            set_={
                "occurrences": Anomaly.occurrences + 1,
                "last_seen_at": statement.excluded.last_seen_at,
            },
        )
    )


def verify_token(
    session: Executor,
    token_text: str,
    *,
    now: datetime,
    settings: VerifySettings,
    context: ScanContext,
) -> Verification:
    """Verify a scanned URL or token; an alert is written in `session` (the caller commits)."""
    result = evaluate_token(session, token_text, now=now, settings=settings, context=context)
    if result.alert is not None:
        write_alert(session, result.alert)
    return result
