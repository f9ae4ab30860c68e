"""Record custody events: one or a batch, idempotent by the client's entry_uuid, hash-chained.

A batch item is all-or-nothing inside its own SAVEPOINT; one refused item never undoes another.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from traceability import audit
from traceability.db import Database
from traceability.errors import DomainError, NotFound, ValidationFailed
from traceability.ledger import chain, personal
from traceability.ledger.events_errors import (
    BatchTooLarge,
    CounterpartyIsSelf,
    MissingField,
    NoFacility,
    OccurredInFuture,
    UnknownOriginalEntry,
)
from traceability.ledger.events_model import (
    MAX_BATCH,
    EventContext,
    InvalidItem,
    ItemResult,
    content_hash,
    existing_entry,
    plain,
)
from traceability.ledger.events_refs import (
    NamedCylinder,
    lock_all,
    resolve_counterparty,
    resolve_cylinder,
)
from traceability.ledger.events_rules import (
    AnomalyKind,
    Finding,
    Kind,
    apply_effects,
    check_party,
    check_role,
    findings_for,
)
from traceability.models import Anomaly, Cylinder, Fill, LedgerEntry
from traceability.models.enums import Role
from traceability.permissions import Permission, Principal

DETAIL_FIELDS = (
    "reference",
    "end_customer",
    "notes",
    "place",
    "result",
    "inspection_due",
    "failed_action",
)


def _require(item: dict[str, Any], *names: str) -> None:
    missing = [name for name in names if item.get(name) in (None, "", {})]
    if missing:
        raise MissingField(f"'{item['kind']}' requires: {', '.join(missing)}")


def _validate_fields(ctx: EventContext, item: dict[str, Any]) -> None:
    """Per-kind required fields and the clock: certain errors, refused before anything is read."""
    kind = item["kind"]
    if item["occurred_at"] > ctx.now + ctx.clock_skew:
        raise OccurredInFuture(f"occurred_at {item['occurred_at'].isoformat()}")
    if ctx.principal.role in (Role.STATION, Role.SHOP) and ctx.principal.facility_id is None:
        raise NoFacility()
    if kind in (Kind.SALE, Kind.TRANSFER):
        _require(item, "counterparty_org_id")
    if kind == Kind.CONSUMER_SALE:
        _require(item, "customer")
        _require({"kind": kind, **item["customer"]}, "customer_name", "customer_address")
    if kind == Kind.INSPECTION:
        _require(item, "result")
        if item["result"] == "passed":
            _require(item, "inspection_due")
    if kind == Kind.CORRECTION:
        _require(item, "corrects_entry_id", "reason")


def _name_cylinder(
    session: Session, ctx: EventContext, item: dict[str, Any]
) -> tuple[NamedCylinder, LedgerEntry | None]:
    """The cylinder (a correction may name it through the entry it corrects)."""
    original = None
    if item["kind"] == Kind.CORRECTION:
        original = session.get(LedgerEntry, item["corrects_entry_id"])
        allowed = ctx.principal.role == Role.ADMIN or (
            original is not None and original.actor_org_id == ctx.principal.organisation_id
        )
        if original is None or not allowed:
            raise UnknownOriginalEntry(f"entry {item['corrects_entry_id']}")
        if not any(item.get(k) for k in ("cylinder_id", "serial", "label")):
            cylinder = session.scalar(
                select(Cylinder).where(Cylinder.id == original.cylinder_id).with_for_update()
            )
            assert cylinder is not None
            return NamedCylinder(cylinder, original.label_id), original
    named = resolve_cylinder(session, item)
    if original is not None and original.cylinder_id != named.cylinder.id:
        raise UnknownOriginalEntry("the corrected entry is about another cylinder")
    return named, original


def _dispatch_fill(
    session: Session, ctx: EventContext, cylinder: Cylinder, occurred: dt.datetime
) -> Fill | None:
    """The fill being delivered: this station's latest fill of the cylinder before the dispatch."""
    return session.scalar(
        select(Fill)
        .where(
            Fill.cylinder_id == cylinder.id,
            Fill.station_id == ctx.principal.facility_id,
            Fill.filled_at <= occurred,
        )
        .order_by(Fill.filled_at.desc())
        .limit(1)
    )


def record_in_session(
    session: Session,
    ctx: EventContext,
    item: dict[str, Any],
    *,
    named: NamedCylinder | None = None,
    extra_details: dict[str, Any] | None = None,
    extra_findings: Sequence[Finding] = (),
) -> ItemResult:
    """Check, chain and store one event in the caller's transaction (receipts reuse this)."""
    principal, kind = ctx.principal, item["kind"]
    existing = existing_entry(session, ctx, item)
    if existing is not None:
        return ItemResult(
            0,
            existing.entry_uuid,
            "duplicate",
            entry=existing,
            anomalies=list(existing.details.get("anomalies", [])),
        )
    check_role(principal, kind)
    _validate_fields(ctx, item)
    original = None
    if named is None:
        named, original = _name_cylinder(session, ctx, item)
    cylinder = named.cylinder
    check_party(session, principal, cylinder, kind)
    fill = (
        _dispatch_fill(session, ctx, cylinder, item["occurred_at"])
        if kind == Kind.DISPATCH
        else None
    )
    counterparty = item.get("counterparty_org_id")
    if kind == Kind.DISPATCH and counterparty is None:
        counterparty = (fill.hiring_org_id or fill.owner_id) if fill else cylinder.owner_id
    counterparty_org, counterparty_facility = resolve_counterparty(
        session, counterparty, item.get("counterparty_facility_id")
    )
    if kind == Kind.SALE and counterparty_org == principal.organisation_id:
        raise CounterpartyIsSelf()
    findings = findings_for(session, principal, cylinder, kind, item) + list(extra_findings)
    details = {name: plain(item[name]) for name in DETAIL_FIELDS if item.get(name) is not None}
    details.update(extra_details or {})
    details["anomalies"] = sorted({finding.kind for finding in findings})
    customer = item.get("customer")
    entry = LedgerEntry(
        entry_uuid=item["entry_uuid"],
        content_hash=content_hash(ctx, item),
        kind=kind,
        cylinder_id=cylinder.id,
        occurred_at=item["occurred_at"],
        recorded_at=ctx.now,
        actor_org_id=principal.organisation_id,
        actor_facility_id=principal.facility_id,
        counterparty_org_id=counterparty_org,
        counterparty_facility_id=counterparty_facility,
        fill_id=fill.id if fill else None,
        label_id=named.label_id,
        details=details,
        sealed_personal_data=personal.seal(ctx.keyring, item["entry_uuid"], customer)
        if customer
        else None,
        corrects_entry_id=original.id if original else None,
        reason=item.get("reason"),
        recorded_by_user_id=principal.user_id,
        recorded_by_device_id=principal.device_id,
        anomaly=bool(findings),
    )
    in_order = all(finding.kind != AnomalyKind.OUT_OF_ORDER for finding in findings)
    apply_effects(session, principal, cylinder, entry, item, in_order=in_order)
    chain.append(session, [entry])
    for finding in findings:
        session.add(
            Anomaly(
                kind=finding.kind,
                cylinder_id=cylinder.id,
                label_id=named.label_id,
                entry_id=entry.id,
                detail={"event_kind": kind, **finding.detail},
            )
        )
    audit.record(
        session,
        principal,
        f"ledger.{kind}",
        "ledger_entry",
        entry.id,
        {
            "cylinder_id": cylinder.id,
            "counterparty_org_id": counterparty_org,
            "anomalies": details["anomalies"],
            **(customer or {}),
        },
        organisation_id=principal.organisation_id,
    )
    return ItemResult(0, entry.entry_uuid, "created", entry=entry, anomalies=details["anomalies"])


def _one_in_savepoint(
    session: Session, ctx: EventContext, index: int, item: dict[str, Any]
) -> ItemResult:
    """One item all-or-nothing; a concurrent insert of the same uuid is answered as a retry."""
    for attempt in range(2):
        try:
            with session.begin_nested():
                result = record_in_session(session, ctx, item)
        except DomainError as error:
            return ItemResult.rejected(index, item.get("entry_uuid"), error)
        except IntegrityError:
            if attempt:
                raise
            continue
        result.index = index
        return result
    raise AssertionError("unreachable")


def record_events(
    db: Database, ctx: EventContext, items: Sequence[dict[str, Any] | InvalidItem]
) -> list[ItemResult]:
    """Record up to 500 events in one transaction with per-item answers."""
    ctx.principal.require(Permission.LEDGER_RECORD)
    if len(items) > MAX_BATCH:
        raise BatchTooLarge(f"{len(items)} events sent")
    results = []
    with db.transaction() as session:
        lock_all(session, [item for item in items if isinstance(item, dict)])
        for index, item in enumerate(items):
            if isinstance(item, InvalidItem):
                error = ValidationFailed("the event is not valid", errors=item.errors)
                results.append(ItemResult.rejected(index, item.entry_uuid, error))
                continue
            results.append(_one_in_savepoint(session, ctx, index, item))
    return results


def record_event(db: Database, ctx: EventContext, item: dict[str, Any]) -> ItemResult:
    """Record one event; a refusal is raised (and becomes a problem response)."""
    ctx.principal.require(Permission.LEDGER_RECORD)
    for attempt in range(2):
        try:
            with db.transaction() as session:
                return record_in_session(session, ctx, item)
        except IntegrityError:
            if attempt:  # a concurrent retry stored the same uuid: the second pass answers it
                raise
    raise AssertionError("unreachable")


def get_entry(
    db: Database, principal: Principal, entry_id: int
) -> tuple[LedgerEntry, list[Anomaly]]:
    """One entry, for the organisations it names and the authority; others get 404."""
    principal.require(Permission.LEDGER_READ)
    with db.read() as session:
        entry = session.get(LedgerEntry, entry_id)
        if entry is None or not (
            principal.is_authority
            or principal.organisation_id in (entry.actor_org_id, entry.counterparty_org_id)
        ):
            raise NotFound("ledger entry not found")
        anomalies = list(session.scalars(select(Anomaly).where(Anomaly.entry_id == entry.id)))
        session.expunge_all()  # hand back loaded, detached rows (the read session rolls back)
    return entry, anomalies
