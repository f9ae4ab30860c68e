"""Ledger 3 (retail shops): sales to consumers, where each cylinder came from, and to whom."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from traceability.crypto import Keyring
from traceability.ledger.exports.layout import MASKED
from traceability.ledger.personal import PersonalDataUnreadable, open_sealed
from traceability.ledger.views_common import (
    CORRECTION,
    Directory,
    LedgerScope,
    corrections_in_scope,
    entry_columns,
    entry_fields,
    local_date,
    original_alias,
)
from traceability.ledger.views_due import inspection_due_at
from traceability.models import Cylinder, LedgerEntry

log = logging.getLogger("lpgtrace.ledger")

KINDS = ("consumer_sale",)
CORRECTABLE = ("consumer_sale", "receipt")
RECEIPT = "receipt"
SUPPLY_KINDS = ("sale", "transfer")
UNREADABLE = "[không giải mã được]"


def statement(scope: LedgerScope) -> Select[Any]:
    """Consumer sales by the shop, each with the latest receipt of that cylinder before it."""
    entry, original = LedgerEntry, original_alias()
    supply = aliased(LedgerEntry, name="supply")
    moment = func.coalesce(original.occurred_at, entry.occurred_at)
    shop_org = func.coalesce(original.actor_org_id, entry.actor_org_id)
    latest_supply = (
        select(supply.id)
        .where(
            supply.cylinder_id == entry.cylinder_id,
            supply.occurred_at <= moment,
            or_(
                and_(supply.kind == RECEIPT, supply.actor_org_id == shop_org),
                and_(supply.kind.in_(SUPPLY_KINDS), supply.counterparty_org_id == shop_org),
            ),
        )
        .order_by(supply.occurred_at.desc(), supply.id.desc())
        .limit(1)
        .correlate(entry, original)
        .scalar_subquery()
    )
    supply_id = case((original.kind == RECEIPT, original.id), else_=latest_supply)
    inner = (
        select(
            *entry_columns(entry),
            entry.entry_uuid,
            entry.cylinder_id,
            entry.sealed_personal_data,
            original.kind.label("original_kind"),
            original.entry_uuid.label("original_uuid"),
            original.occurred_at.label("original_at"),
            original.sealed_personal_data.label("original_sealed"),
            supply_id.label("supply_id"),
        )
        .outerjoin(original, original.id == entry.corrects_entry_id)
        .where(
            entry.occurred_at >= scope.start,
            entry.occurred_at < scope.end,
            scope.entries_or_corrections(entry, original, KINDS, CORRECTABLE),
        )
        .subquery("sales")
    )
    source = aliased(LedgerEntry, name="source")
    return (
        select(
            inner,
            source.kind.label("supply_kind"),
            source.occurred_at.label("supply_at"),
            source.actor_org_id.label("supply_actor_org_id"),
            source.actor_facility_id.label("supply_actor_facility_id"),
            source.counterparty_org_id.label("supply_counterparty_org_id"),
            source.counterparty_facility_id.label("supply_counterparty_facility_id"),
            Cylinder.serial,
            Cylinder.owner_id,
            Cylinder.type_id,
            inspection_due_at(
                inner.c.cylinder_id, func.coalesce(inner.c.original_at, inner.c.occurred_at)
            ),
        )
        .join(Cylinder, Cylinder.id == inner.c.cylinder_id)
        .outerjoin(source, source.id == inner.c.supply_id)
        .order_by(inner.c.occurred_at, inner.c.id)
    )


def _supplier(r: Any) -> tuple[int | None, int | None]:
    """A receipt names the supplier as counterparty; a trader's sale names itself as actor."""
    if r.supply_kind == RECEIPT:
        return r.supply_counterparty_org_id, r.supply_counterparty_facility_id
    return r.supply_actor_org_id, r.supply_actor_facility_id


class PersonalData:
    """Opens sealed customer data for readers allowed to see it, masks it for everyone else."""

    def __init__(self, keyring: Keyring | None, visible: bool) -> None:
        self.keyring = keyring
        self.visible = visible and keyring is not None
        self.opened = 0

    def read(self, sealed: bytes | None, entry_uuid: str | None) -> tuple[Any, Any]:
        if sealed is None or entry_uuid is None:
            return None, None
        if not self.visible or self.keyring is None:
            return MASKED, MASKED
        try:
            plain = open_sealed(self.keyring, sealed, entry_uuid)
        except PersonalDataUnreadable:
            log.error("personal data of ledger entry %s cannot be opened", entry_uuid)
            return UNREADABLE, UNREADABLE
        self.opened += 1
        name = plain.get("customer_name", plain.get("name"))
        address = plain.get("customer_address", plain.get("address"))
        return name, address


def build_rows(
    session: Session,
    scope: LedgerScope,
    directory: Directory,
    batch: Sequence[Any],
    personal: PersonalData,
) -> list[dict[str, Any]]:
    suppliers = [_supplier(r) for r in batch]
    directory.prefetch(
        [r.owner_id for r in batch] + [s[0] for s in suppliers], [s[1] for s in suppliers]
    )
    corrected_by = corrections_in_scope(directory, scope, CORRECTABLE)
    rows = []
    for r, (supplier_org, supplier_facility) in zip(batch, suppliers, strict=True):
        correction = r.kind == CORRECTION
        if r.sealed_personal_data is not None:
            name, address = personal.read(r.sealed_personal_data, r.entry_uuid)
        elif correction and r.original_kind != RECEIPT:
            name, address = personal.read(r.original_sealed, r.original_uuid)
        else:
            name, address = None, None
        delivered = None
        if not correction:
            delivered = r.occurred_at
        elif r.original_kind != RECEIPT:
            delivered = r.original_at
        rows.append(
            {
                **entry_fields(r, corrected_by),
                "owner": directory.org_name(r.owner_id),
                "cylinder_type": directory.types.get(r.type_id),
                "serial": r.serial,
                "inspection_expiry": r.inspection_due,
                "supplier_name": directory.party(supplier_org, supplier_facility)[0],
                "received_date": local_date(r.supply_at),
                "customer_name": name,
                "customer_address": address,
                "delivery_date": local_date(delivered),
            }
        )
    return rows
