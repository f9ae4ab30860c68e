"""Custody rules: who may record which kind, what is inconsistent (flagged), what changes.

Only certainly-wrong events are refused. A movement by someone who does not hold the cylinder,
or an event older than what is already recorded, is stored and flagged as an anomaly: an offline
device may deliver a true event late, and dropping it would make the ledger untrue.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from traceability.ledger.events_errors import NotAParty, NotOwner, WrongRoleForKind
from traceability.localtime import local_day
from traceability.models import Cylinder, Fill, LedgerEntry
from traceability.models.enums import CylinderStatus, Role
from traceability.permissions import Principal


class Kind:
    FILL = "fill"
    DISPATCH = "dispatch"
    SALE = "sale"
    TRANSFER = "transfer"
    CONSUMER_SALE = "consumer_sale"
    RETURN = "return"
    RECEIPT = "receipt"
    INSPECTION = "inspection"
    REPORTED_LOST = "reported_lost"
    REPORTED_STOLEN = "reported_stolen"
    SEIZED = "seized"
    SCRAPPED = "scrapped"
    CORRECTION = "correction"


class AnomalyKind:
    CUSTODY_CONFLICT = "custody_conflict"
    OUT_OF_ORDER = "out_of_order"
    FLAGGED_CYLINDER_MOVED = "flagged_cylinder_moved"
    INSPECTION_EXPIRED_MOVED = "inspection_expired_moved"
    SHORT_WEIGHT = "short_weight"


# Kinds the events API records (fills come from the label service, receipts from /receipts).
ROLES_BY_KIND: dict[str, frozenset[Role]] = {
    Kind.DISPATCH: frozenset({Role.STATION}),
    Kind.SALE: frozenset({Role.TRADER}),
    Kind.TRANSFER: frozenset({Role.TRADER, Role.SHOP}),
    Kind.CONSUMER_SALE: frozenset({Role.SHOP}),
    Kind.RETURN: frozenset({Role.SHOP, Role.TRADER}),
    Kind.INSPECTION: frozenset({Role.TRADER, Role.INSPECTOR, Role.ADMIN}),
    Kind.REPORTED_LOST: frozenset({Role.TRADER, Role.SHOP, Role.STATION}),
    Kind.REPORTED_STOLEN: frozenset({Role.TRADER, Role.SHOP, Role.STATION}),
    Kind.SEIZED: frozenset({Role.INSPECTOR, Role.ADMIN}),
    Kind.SCRAPPED: frozenset({Role.TRADER, Role.INSPECTOR, Role.ADMIN}),
    Kind.CORRECTION: frozenset(Role),
    Kind.RECEIPT: frozenset({Role.SHOP}),
}
RECORDABLE_KINDS = tuple(kind for kind in ROLES_BY_KIND if kind != Kind.RECEIPT)
MOVEMENTS = frozenset(
    {Kind.DISPATCH, Kind.SALE, Kind.TRANSFER, Kind.CONSUMER_SALE, Kind.RETURN, Kind.RECEIPT}
)
# Kinds that describe the cylinder's condition; the ordering check compares against these too.
STATE_KINDS = MOVEMENTS | {
    Kind.FILL,
    Kind.INSPECTION,
    Kind.REPORTED_LOST,
    Kind.REPORTED_STOLEN,
    Kind.SEIZED,
    Kind.SCRAPPED,
}
STATUS_BY_KIND = {
    Kind.REPORTED_LOST: CylinderStatus.LOST,
    Kind.REPORTED_STOLEN: CylinderStatus.STOLEN,
    Kind.SEIZED: CylinderStatus.SEIZED,
    Kind.SCRAPPED: CylinderStatus.SCRAPPED,
}


@dataclass(slots=True)
class Finding:
    """One inconsistency to flag: becomes an Anomaly row pointing at the stored entry."""

    kind: str
    detail: dict[str, Any] = field(default_factory=dict)


def check_role(principal: Principal, kind: str) -> None:
    if principal.role not in ROLES_BY_KIND.get(kind, frozenset()):
        raise WrongRoleForKind(f"{principal.role} may not record '{kind}'")


def is_party(session: Session, cylinder: Cylinder, org_id: int) -> bool:
    """Owner, holder, or named in any of its ledger entries (as actor or counterparty)."""
    if org_id in (cylinder.owner_id, cylinder.holder_org_id):
        return True
    named = exists().where(
        LedgerEntry.cylinder_id == cylinder.id,
        or_(LedgerEntry.actor_org_id == org_id, LedgerEntry.counterparty_org_id == org_id),
    )
    return bool(session.scalar(select(named)))


def check_party(session: Session, principal: Principal, cylinder: Cylinder, kind: str) -> None:
    """Refuse condition reports by organisations with no link at all to the cylinder."""
    if principal.is_authority or kind in MOVEMENTS or kind == Kind.CORRECTION:
        return
    if kind in (Kind.INSPECTION, Kind.SCRAPPED):
        if principal.organisation_id != cylinder.owner_id:
            raise NotOwner()
    elif not is_party(session, cylinder, principal.organisation_id):
        raise NotAParty()


def latest_state_time(session: Session, cylinder_id: int) -> dt.datetime | None:
    return session.scalar(
        select(func.max(LedgerEntry.occurred_at)).where(
            LedgerEntry.cylinder_id == cylinder_id, LedgerEntry.kind.in_(STATE_KINDS)
        )
    )


def latest_fill(session: Session, cylinder_id: int) -> Fill | None:
    return session.scalar(
        select(Fill).where(Fill.cylinder_id == cylinder_id).order_by(Fill.filled_at.desc()).limit(1)
    )


def _holds(
    session: Session, principal: Principal, cylinder: Cylinder, kind: str, item: dict[str, Any]
) -> bool:
    if kind == Kind.RECEIPT:
        supplier = item.get("counterparty_org_id")
        return supplier is None or cylinder.holder_org_id == supplier
    if kind == Kind.RETURN and item.get("counterparty_org_id") is None:
        return cylinder.holder_org_id is None  # coming back from a household
    if cylinder.holder_org_id == principal.organisation_id:
        return True
    if kind == Kind.DISPATCH:
        fill = latest_fill(session, cylinder.id)
        return fill is not None and fill.station_id == principal.facility_id
    return False


def findings_for(
    session: Session, principal: Principal, cylinder: Cylinder, kind: str, item: dict[str, Any]
) -> list[Finding]:
    """Everything inconsistent about this event; an empty list means it fits the story so far."""
    found: list[Finding] = []
    occurred: dt.datetime = item["occurred_at"]
    latest = latest_state_time(session, cylinder.id) if kind in STATE_KINDS else None
    if latest is not None and occurred < latest:
        found.append(Finding(AnomalyKind.OUT_OF_ORDER, {"latest_recorded_at": latest.isoformat()}))
    if kind in MOVEMENTS:
        # A late event is judged against the holder of its time, which only an inspector can
        # reconstruct; out_of_order already sends it to them, so the current holder is not used.
        if not found and not _holds(session, principal, cylinder, kind, item):
            found.append(
                Finding(
                    AnomalyKind.CUSTODY_CONFLICT,
                    {
                        "holder_org_id": cylinder.holder_org_id,
                        "actor_org_id": principal.organisation_id,
                    },
                )
            )
        if cylinder.status != CylinderStatus.IN_SERVICE:
            found.append(Finding(AnomalyKind.FLAGGED_CYLINDER_MOVED, {"status": cylinder.status}))
        if kind != Kind.RETURN and cylinder.inspection_due < local_day(occurred):
            found.append(
                Finding(
                    AnomalyKind.INSPECTION_EXPIRED_MOVED,
                    {"inspection_due": cylinder.inspection_due.isoformat()},
                )
            )
    return found


def apply_effects(
    session: Session,
    principal: Principal,
    cylinder: Cylinder,
    entry: LedgerEntry,
    item: dict[str, Any],
    *,
    in_order: bool,
) -> None:
    """Move the cylinder or change its condition.

    A late (out-of-order) movement does not move the cylinder: the newer event's holder stands.
    Conditions are sticky and apply even when late (a cylinder reported stolen yesterday is
    stolen whatever happened since); an inspection applies if it is the newest inspection.
    """
    kind = entry.kind
    if kind == Kind.DISPATCH and entry.fill_id is not None:
        fill = session.get(Fill, entry.fill_id)
        if fill is not None and fill.dispatched_at is None:
            fill.dispatched_at = entry.occurred_at
    before = _state(cylinder)
    if in_order and kind in MOVEMENTS:
        _move(cylinder, entry)
    elif kind == Kind.INSPECTION:
        _apply_inspection(cylinder, entry, item)
    elif kind in STATUS_BY_KIND:
        cylinder.status = STATUS_BY_KIND[kind]
        if kind == Kind.SEIZED and in_order:
            cylinder.holder_org_id, cylinder.holder_facility_id = principal.organisation_id, None
    if _state(cylinder) != before:
        cylinder.version += 1


def _state(cylinder: Cylinder) -> tuple[Any, ...]:
    return (
        cylinder.holder_org_id,
        cylinder.holder_facility_id,
        cylinder.status,
        cylinder.inspection_due,
        cylinder.last_inspected_on,
    )


def _move(cylinder: Cylinder, entry: LedgerEntry) -> None:
    kind = entry.kind
    if kind in (Kind.DISPATCH, Kind.SALE, Kind.TRANSFER) or (
        entry.counterparty_org_id and kind == Kind.RETURN
    ):
        cylinder.holder_org_id = entry.counterparty_org_id
        cylinder.holder_facility_id = entry.counterparty_facility_id
    elif kind in (Kind.RECEIPT, Kind.RETURN):
        cylinder.holder_org_id = entry.actor_org_id
        cylinder.holder_facility_id = entry.actor_facility_id
    elif kind == Kind.CONSUMER_SALE:
        cylinder.holder_org_id = cylinder.holder_facility_id = None


def _apply_inspection(cylinder: Cylinder, entry: LedgerEntry, item: dict[str, Any]) -> None:
    """Only the newest inspection decides the due date and whether the cylinder may serve."""
    day = entry.occurred_at.date()
    if cylinder.last_inspected_on is not None and day < cylinder.last_inspected_on:
        return
    cylinder.last_inspected_on = day
    if item["result"] == "passed":
        cylinder.inspection_due = item["inspection_due"]
        if cylinder.status == CylinderStatus.QUARANTINED:
            cylinder.status = CylinderStatus.IN_SERVICE
    else:
        cylinder.status = item.get("failed_action") or CylinderStatus.QUARANTINED
