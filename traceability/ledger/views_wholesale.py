"""Ledger 1 (importers, exporters and wholesalers): sales and transfers made by one trader."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

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

KINDS = ("sale", "transfer")


def statement(scope: LedgerScope) -> Select[Any]:
    """Sales and transfers by the trader in the period, and corrections of them, oldest first."""
    entry, original = LedgerEntry, original_alias()
    return (
        select(
            *entry_columns(entry),
            entry.counterparty_org_id,
            entry.counterparty_facility_id,
            original.occurred_at.label("original_at"),
            original.counterparty_org_id.label("original_org_id"),
            original.counterparty_facility_id.label("original_facility_id"),
            original.details.label("original_details"),
            Cylinder.serial,
            Cylinder.owner_id,
            Cylinder.type_id,
            inspection_due_at(
                entry.cylinder_id, func.coalesce(original.occurred_at, entry.occurred_at)
            ),
        )
        .join(Cylinder, Cylinder.id == entry.cylinder_id)
        .outerjoin(original, original.id == entry.corrects_entry_id)
        .where(
            entry.occurred_at >= scope.start,
            entry.occurred_at < scope.end,
            scope.entries_or_corrections(entry, original, KINDS, KINDS),
        )
        .order_by(entry.occurred_at, entry.id)
    )


def build_rows(
    session: Session, scope: LedgerScope, directory: Directory, batch: Sequence[Any]
) -> list[dict[str, Any]]:
    """Shape one batch of rows; a correction shows its own values, else those it corrects."""
    directory.prefetch(
        [r.owner_id for r in batch]
        + [r.counterparty_org_id for r in batch]
        + [r.original_org_id for r in batch],
        [r.counterparty_facility_id for r in batch] + [r.original_facility_id for r in batch],
    )
    corrected_by = corrections_in_scope(directory, scope, KINDS)
    rows = []
    for r in batch:
        correction = r.kind == CORRECTION
        org_id = r.counterparty_org_id or (r.original_org_id if correction else None)
        facility_id = r.counterparty_facility_id or (r.original_facility_id if correction else None)
        buyer, address = directory.party(org_id, facility_id)
        details = r.details or {}
        end_customer = details.get("end_customer")
        if end_customer is None and correction:
            end_customer = (r.original_details or {}).get("end_customer")
        delivered = r.original_at if correction and r.original_at else r.occurred_at
        rows.append(
            {
                **entry_fields(r, corrected_by),
                "owner": directory.org_name(r.owner_id),
                "cylinder_type": directory.types.get(r.type_id),
                "serial": r.serial,
                "inspection_expiry": r.inspection_due,
                "buyer_name": buyer,
                "buyer_address": address,
                "end_customer": end_customer,
                "delivery_date": local_date(delivered),
            }
        )
    return rows
