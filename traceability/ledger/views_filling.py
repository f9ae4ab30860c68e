"""Ledger 2 (filling stations): every fill at the station, its delivery to the hiring trader."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    Select,
    String,
    cast,
    func,
    literal_column,
    null,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import Session

from traceability.ledger.views_common import (
    CORRECTION,
    Directory,
    LedgerScope,
    correction_details,
    group_ids,
    local_date,
    original_alias,
)
from traceability.ledger.views_due import inspection_due_at
from traceability.models import Cylinder, Fill, LedgerEntry

KINDS = ("fill", "dispatch")


def _fills_where(scope: LedgerScope) -> list[Any]:
    return [
        Fill.station_id.in_(scope.facility_ids or ()),
        Fill.filled_at >= scope.start,
        Fill.filled_at < scope.end,
    ]


def statement(scope: LedgerScope) -> Select[Any]:
    """Fills at the station(s), merged in time with corrections of fill or dispatch entries."""
    fills = select(
        literal_column("'entry'", String).label("row_type"),
        Fill.id.label("fill_id"),
        cast(null(), BigInteger).label("entry_id"),
        Fill.filled_at.label("sort_at"),
        Fill.cylinder_id.label("cylinder_id"),
        Fill.owner_id.label("owner_id"),
        Fill.hiring_org_id.label("hiring_org_id"),
        Fill.filled_at.label("filled_at"),
        Fill.dispatched_at.label("dispatched_at"),
        cast(null(), BigInteger).label("corrects_entry_id"),
        cast(null(), String).label("reason"),
        cast(null(), JSON).label("details"),
    ).where(*_fills_where(scope))
    entry, original = LedgerEntry, original_alias()
    corrected_fill = Fill.__table__.alias("corrected_fill")
    corrections = (
        select(
            literal_column("'correction'", String),
            corrected_fill.c.id,
            entry.id,
            entry.occurred_at,
            entry.cylinder_id,
            corrected_fill.c.owner_id,
            corrected_fill.c.hiring_org_id,
            corrected_fill.c.filled_at,
            corrected_fill.c.dispatched_at,
            entry.corrects_entry_id,
            entry.reason,
            entry.details,
        )
        .join(original, original.id == entry.corrects_entry_id)
        .join(corrected_fill, corrected_fill.c.id == original.fill_id)
        .where(
            entry.kind == CORRECTION,
            corrected_fill.c.station_id.in_(scope.facility_ids or ()),
            entry.occurred_at >= scope.start,
            entry.occurred_at < scope.end,
            original.kind.in_(KINDS),
        )
    )
    rows = union_all(fills, corrections).subquery("ledger2")
    return (
        select(
            rows,
            Cylinder.serial,
            Cylinder.type_id,
            inspection_due_at(rows.c.cylinder_id, rows.c.filled_at),
        )
        .join(Cylinder, Cylinder.id == rows.c.cylinder_id)
        .order_by(rows.c.sort_at, rows.c.row_type.desc(), rows.c.fill_id, rows.c.entry_id)
    )


def _corrections_of_fills(directory: Directory, scope: LedgerScope) -> dict[int, list[int]]:
    """Corrections of the fill or dispatch entries of the scope's fills, per fill (one query)."""
    if directory.corrected_by is None:
        original = original_alias()
        query = (
            select(original.fill_id, LedgerEntry.id)
            .join(original, original.id == LedgerEntry.corrects_entry_id)
            .join(Fill, Fill.id == original.fill_id)
            .where(LedgerEntry.kind == CORRECTION, original.kind.in_(KINDS), *_fills_where(scope))
        )
        directory.corrected_by = group_ids(directory.session.execute(query))
    return directory.corrected_by


def build_rows(
    session: Session, scope: LedgerScope, directory: Directory, batch: Sequence[Any]
) -> list[dict[str, Any]]:
    directory.prefetch([r.owner_id for r in batch] + [r.hiring_org_id for r in batch], [])
    corrected_by = _corrections_of_fills(directory, scope)
    rows = []
    for r in batch:
        correction = r.row_type == CORRECTION
        rows.append(
            {
                "entry_id": r.entry_id,
                "fill_id": r.fill_id,
                "row_type": r.row_type,
                "kind": CORRECTION if correction else "fill",
                "occurred_at": r.sort_at,
                "corrects_entry_id": r.corrects_entry_id,
                "correction_reason": r.reason,
                "correction_details": correction_details(r.details) if correction else None,
                "corrected_by": [] if correction else corrected_by.get(r.fill_id, []),
                "owner": directory.org_name(r.owner_id),
                "cylinder_type": directory.types.get(r.type_id),
                "quantity": None if correction else 1,
                "serial": r.serial,
                "inspection_expiry": r.inspection_due,
                "fill_date": local_date(r.filled_at),
                "hiring_trader": directory.org_name(r.hiring_org_id),
                "delivered_date": local_date(r.dispatched_at),
            }
        )
    return rows


def _local_day(session: Session, column: Any) -> Any:
    """The Vietnam calendar day of a stored UTC timestamp, in SQL."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(column + text("interval '7 hours'"), Date)
    return func.date(column, "+7 hours")


def summary(session: Session, scope: LedgerScope, directory: Directory) -> list[dict[str, Any]]:
    """Cylinders filled and delivered per day, owner and type (corrections are listed as rows)."""
    day = _local_day(session, Fill.filled_at).label("day")
    query = (
        select(
            day,
            Fill.owner_id,
            Cylinder.type_id,
            func.count().label("filled"),
            func.count(Fill.dispatched_at).label("delivered"),
        )
        .join(Cylinder, Cylinder.id == Fill.cylinder_id)
        .where(*_fills_where(scope))
        .group_by(day, Fill.owner_id, Cylinder.type_id)
        .order_by(day, Fill.owner_id, Cylinder.type_id)
    )
    lines = session.execute(query).all()
    directory.prefetch([line.owner_id for line in lines], [])
    return [
        {
            "day": line.day if isinstance(line.day, dt.date) else dt.date.fromisoformat(line.day),
            "owner": directory.org_name(line.owner_id),
            "cylinder_type": directory.types.get(line.type_id),
            "filled": line.filled,
            "delivered": line.delivered,
        }
        for line in lines
    ]
