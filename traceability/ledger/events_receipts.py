"""Shop receipt: verify each label of a delivery like the public service, record the genuine ones.

The verdict comes only from `traceability.verification` (see `evaluate_label`); this module adds
what a receipt is about: idempotency per delivery and label, custody, and weighing on receipt.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from traceability.db import Database
from traceability.errors import DomainError
from traceability.labels.codec import TokenError, token_from_text
from traceability.ledger.events import record_in_session
from traceability.ledger.events_errors import BatchTooLarge, NoFacility
from traceability.ledger.events_model import MAX_BATCH, EventContext, ItemResult, existing_entry
from traceability.ledger.events_refs import NamedCylinder, lock_all, lock_cylinder
from traceability.ledger.events_rules import AnomalyKind, Finding, Kind
from traceability.models import Cylinder
from traceability.permissions import Permission
from traceability.verification import (
    ScanContext,
    Verdict,
    Verification,
    VerifySettings,
    verify_token,
)

RECEIVABLE_VERDICTS = frozenset({Verdict.GENUINE})


@dataclass(slots=True)
class ReceiptLine:
    """One scanned label of a delivery and, when given, its weighed gross mass."""

    label: str
    gross_kg: Decimal | None = None


@dataclass(slots=True)
class ReceiptResult:
    """What happened to one label: received, duplicate (already received) or rejected (why)."""

    index: int
    label: str
    status: str
    verdict: str | None = None
    reasons: list[str] | None = None
    cylinder_id: int | None = None
    item: ItemResult | None = None
    weight: dict[str, str] | None = None


def evaluate_label(
    session: Session,
    text: str,
    *,
    now: dt.datetime,
    config: Mapping[str, Any],
    facility_id: int | None,
) -> Verification:
    """The single adapter to public verification: same verdicts, same alerts for inspectors."""
    return verify_token(
        session,
        text,
        now=now,
        settings=VerifySettings.from_config(config),
        context=ScanContext(device_class="shop_receipt", facility_id=facility_id),
    )


def _normal_token(text: str) -> str:
    try:
        return token_from_text(text).upper()
    except TokenError:
        return text.strip()


def receipt_entry_uuid(delivery_uuid: str, label_text: str) -> str:
    """Stable per delivery and label, so a re-sent delivery is answered from what is stored."""
    return str(uuid.uuid5(uuid.UUID(delivery_uuid), "receipt:" + _normal_token(label_text)))


def weigh(
    cylinder: Cylinder, verification: Verification, gross: Decimal, tolerance: float
) -> tuple[dict[str, str], Finding | None]:
    """Gross − tare against the signed net; short by more than the tolerance is flagged."""
    claims = verification.claims
    tare = claims.tare_kg if claims is not None else cylinder.tare_kg
    signed_net = claims.net_kg if claims is not None else None
    measured = gross - tare
    weight = {"gross_kg": str(gross), "tare_kg": str(tare), "measured_net_kg": str(measured)}
    if signed_net is None:
        return weight, None
    weight["signed_net_kg"] = str(signed_net)
    short_by = signed_net - measured
    if short_by > Decimal(str(tolerance)):
        weight["short_by_kg"] = str(short_by)
        return weight, Finding(AnomalyKind.SHORT_WEIGHT, dict(weight))
    return weight, None


def _receive_one(
    session: Session,
    ctx: EventContext,
    delivery: dict[str, Any],
    index: int,
    line: ReceiptLine,
    config: Mapping[str, Any],
) -> ReceiptResult:
    item = {
        "entry_uuid": receipt_entry_uuid(delivery["delivery_uuid"], line.label),
        "kind": Kind.RECEIPT,
        "occurred_at": delivery["occurred_at"],
        "counterparty_org_id": delivery.get("supplier_org_id"),
        "reference": delivery.get("reference"),
        "gross_kg": None if line.gross_kg is None else str(line.gross_kg),
    }
    answer = ReceiptResult(index, line.label, "rejected")
    try:
        stored = existing_entry(session, ctx, item)
    except DomainError as error:
        answer.item = ItemResult.rejected(index, item["entry_uuid"], error)
        return answer
    if stored is not None:  # a re-sent delivery: answer from the ledger, do not re-judge
        answer.status, answer.cylinder_id = "duplicate", stored.cylinder_id
        answer.verdict = stored.details.get("verdict")
        answer.item = ItemResult(
            index,
            stored.entry_uuid,
            "duplicate",
            entry=stored,
            anomalies=list(stored.details.get("anomalies", [])),
        )
        return answer
    verification = evaluate_label(
        session, line.label, now=ctx.now, config=config, facility_id=ctx.principal.facility_id
    )
    answer.verdict, answer.reasons = verification.verdict, list(verification.reasons)
    answer.cylinder_id = verification.cylinder_id
    if verification.verdict not in RECEIVABLE_VERDICTS or verification.cylinder_id is None:
        return answer
    for attempt in range(2):
        try:
            with session.begin_nested():
                cylinder = lock_cylinder(session, verification.cylinder_id)
                assert cylinder is not None
                findings, extra = (
                    [],
                    {"delivery_uuid": delivery["delivery_uuid"], "verdict": verification.verdict},
                )
                if line.gross_kg is not None:
                    answer.weight, short = weigh(
                        cylinder, verification, line.gross_kg, config["GROSS_NET_TOLERANCE_KG"]
                    )
                    extra["weight"] = answer.weight
                    findings += [short] if short else []
                answer.item = record_in_session(
                    session,
                    ctx,
                    item,
                    named=NamedCylinder(cylinder, verification.label_id),
                    extra_details=extra,
                    extra_findings=findings,
                )
        except DomainError as error:
            answer.item = ItemResult.rejected(index, item["entry_uuid"], error)
            return answer
        except IntegrityError:
            if attempt:
                raise
            continue
        break
    assert answer.item is not None
    answer.item.index = index
    answer.status = "received" if answer.item.status == "created" else answer.item.status
    return answer


def receive_delivery(
    db: Database,
    ctx: EventContext,
    delivery: dict[str, Any],
    lines: Sequence[ReceiptLine],
    config: Mapping[str, Any],
) -> list[ReceiptResult]:
    """Verify every label of one delivery and record a receipt for each genuine cylinder."""
    ctx.principal.require(Permission.SHOP_RECEIPT)
    if ctx.principal.facility_id is None:
        raise NoFacility()
    if len(lines) > MAX_BATCH:
        raise BatchTooLarge(f"{len(lines)} labels sent")
    with db.transaction() as session:
        lock_all(session, [{"label": line.label} for line in lines])
        return [
            _receive_one(session, ctx, delivery, index, line, config)
            for index, line in enumerate(lines)
        ]
