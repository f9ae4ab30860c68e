"""The rows a cylinder's timeline is merged from, each source paged by the same descending cursor.

Items sort newest first by (time, source rank, id); a cursor is the key of the last item shown,
so the next page starts strictly after it in every source, even when timestamps tie.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, or_, select, true
from sqlalchemy.orm import Session, defer

from traceability.audit import PERSONAL_FIELDS
from traceability.errors import ValidationFailed
from traceability.models import (
    Anomaly,
    ConsumerReport,
    Facility,
    FieldCheck,
    Fill,
    Label,
    LedgerEntry,
    Organisation,
    Scan,
    User,
)

# Rank breaks ties between sources at the same instant (higher rank sorts first, newest first).
RANKS = {"event": 4, "label": 3, "field_check": 2, "report": 1, "anomaly": 0}
SOURCES = {
    "event": (LedgerEntry, LedgerEntry.occurred_at),
    "label": (Label, Label.issued_at),
    "field_check": (FieldCheck, FieldCheck.checked_at),
    "report": (ConsumerReport, ConsumerReport.created_at),
    "anomaly": (Anomaly, Anomaly.created_at),
}
# Free-text keys that may carry a person's details even when not named as such.
_PRIVATE_DETAIL_KEYS = PERSONAL_FIELDS | {"customer", "name", "address", "note", "notes", "text"}


class BadCursor(ValidationFailed):
    code = "bad_history_cursor"
    message_vi = "Con trỏ trang lịch sử không hợp lệ."
    message_en = "The history cursor is not valid."


@dataclass(frozen=True, order=True)
class Cursor:
    """The sort key of one timeline item: (time, rank, id)."""

    at: dt.datetime
    rank: int
    id: int

    def encode(self) -> str:
        source = next(name for name, rank in RANKS.items() if rank == self.rank)
        at = self.at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")  # no '+' in URLs
        return f"{at}~{source}~{self.id}"

    @classmethod
    def decode(cls, text: str) -> Cursor:
        try:
            at_text, source, id_text = text.replace(" ", "+").split("~")
            at = dt.datetime.fromisoformat(at_text)
            if at.tzinfo is None:
                raise ValueError("naive time")
            return cls(at.astimezone(dt.UTC), RANKS[source], int(id_text))
        except (ValueError, KeyError):
            raise BadCursor(text[:80]) from None


def before_cursor(source: str, cursor: Cursor | None) -> ColumnElement[bool]:
    """Rows of `source` whose sort key is strictly below the cursor."""
    if cursor is None:
        return true()
    model, time_column = SOURCES[source]
    rank = RANKS[source]
    if rank < cursor.rank:
        return time_column <= cursor.at
    if rank > cursor.rank:
        return time_column < cursor.at
    return or_(time_column < cursor.at, and_(time_column == cursor.at, model.id < cursor.id))


def newest(session: Session, source: str, cylinder_id: int, cursor: Cursor | None, limit: int):
    """Up to `limit` rows of one source for the cylinder, newest first, after the cursor."""
    model, time_column = SOURCES[source]
    stmt = (
        select(model)
        .where(model.cylinder_id == cylinder_id, before_cursor(source, cursor))
        .order_by(time_column.desc(), model.id.desc())
        .limit(limit)
    )
    if model is FieldCheck:
        stmt = stmt.options(defer(FieldCheck.photo))  # the timeline says whether, not what
    return list(session.scalars(stmt))


def jsonable(value: Any) -> Any:
    """Dates as ISO 8601 and decimals as strings, so free-form parts serialise predictably."""
    if isinstance(value, Mapping):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def public_details(details: Mapping[str, Any] | None) -> dict[str, Any]:
    """An entry's details without anything that could identify a person."""
    clean: dict[str, Any] = {}
    for key, value in (details or {}).items():
        if key in _PRIVATE_DETAIL_KEYS or key.startswith(("customer_", "contact")):
            continue
        clean[key] = public_details(value) if isinstance(value, Mapping) else value
    return clean


def names(session: Session, org_ids: Iterable[int | None], facility_ids: Iterable[int | None]):
    """Facilities (name, address, organisation) and organisation names by id, in two queries."""
    facilities = {i for i in facility_ids if i is not None}
    facility_rows = (
        {
            row.id: row
            for row in session.execute(
                select(
                    Facility.id, Facility.name, Facility.address, Facility.organisation_id
                ).where(Facility.id.in_(facilities))
            )
        }
        if facilities
        else {}
    )
    orgs = {i for i in org_ids if i is not None}
    orgs |= {row.organisation_id for row in facility_rows.values()}
    org_names = dict(
        session.execute(
            select(Organisation.id, Organisation.name).where(Organisation.id.in_(orgs))
        ).all()
        if orgs
        else []
    )
    return org_names, facility_rows


def user_organisations(session: Session, user_ids: set[int]) -> dict[int, int]:
    """The organisation of each user (an inspector's department), never the person's name."""
    if not user_ids:
        return {}
    rows = session.execute(select(User.id, User.organisation_id).where(User.id.in_(user_ids)))
    return dict(rows.all())


def fills_of(session: Session, labels: list[Label]) -> dict[int, Fill]:
    ids = {label.fill_id for label in labels}
    if not ids:
        return {}
    return {fill.id: fill for fill in session.scalars(select(Fill).where(Fill.id.in_(ids)))}


def scan_counts(session: Session, label_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Per label: scans by verdict, total and the time of the last scan."""
    result: dict[int, dict[str, Any]] = {}
    if not label_ids:
        return result
    rows = session.execute(
        select(Scan.label_id, Scan.verdict, func.count(), func.max(Scan.scanned_at))
        .where(Scan.label_id.in_(label_ids))
        .group_by(Scan.label_id, Scan.verdict)
    ).all()
    for label_id, verdict, count, last in rows:
        entry = result.setdefault(label_id, {"by_verdict": {}, "total": 0, "last_scanned_at": None})
        entry["by_verdict"][verdict] = count
        entry["total"] += count
        last = last.replace(tzinfo=dt.UTC) if last is not None and last.tzinfo is None else last
        if last is not None and (
            entry["last_scanned_at"] is None or last > entry["last_scanned_at"]
        ):
            entry["last_scanned_at"] = last
    return result


def last_scans(session: Session, label_ids: list[int], limit: int) -> list[Scan]:
    """The most recent scans of any of the cylinder's labels."""
    if not label_ids:
        return []
    return list(
        session.scalars(
            select(Scan)
            .where(Scan.label_id.in_(label_ids) if label_ids else false())
            .order_by(Scan.scanned_at.desc(), Scan.id.desc())
            .limit(limit)
        )
    )
