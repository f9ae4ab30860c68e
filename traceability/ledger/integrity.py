"""Recompute the hash chain to prove the ledger was not changed behind the application's back."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import func, select

from traceability.db import Database
from traceability.ledger.chain import GENESIS_HASH, HEAD_ID, entry_hash
from traceability.models import ChainHead, LedgerEntry
from traceability.permissions import Permission, Principal

STREAM_BATCH = 2000
MAX_LIMIT = 10_000_000


@dataclass(slots=True)
class BrokenEntry:
    """The first entry whose stored hashes do not match what its content says they must be."""

    id: int
    problem: str  # "content_changed" | "link_broken" | "head_mismatch"
    expected_hash: str
    stored_hash: str


@dataclass(slots=True)
class ChainReport:
    ok: bool
    checked: int
    first_id: int | None
    last_id: int | None
    complete: bool
    head_checked: bool
    broken: BrokenEntry | None = None
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _previous_hash(connection: Any, from_id: int) -> str:
    """The stored hash of the entry just before `from_id` (genesis when there is none)."""
    table = LedgerEntry.__table__
    before = connection.execute(
        select(table.c.entry_hash).where(table.c.id < from_id).order_by(table.c.id.desc()).limit(1)
    ).scalar()
    return before or GENESIS_HASH


def verify_chain(
    db: Database, principal: Principal, *, from_id: int = 1, limit: int | None = None
) -> ChainReport:
    """Stream entries in id order and stop at the first one whose hash or link does not hold.

    Memory stays bounded: rows are fetched in batches with a server-side cursor and never kept.
    """
    principal.require(Permission.LEDGER_VERIFY)
    table = LedgerEntry.__table__
    limit = MAX_LIMIT if limit is None else min(limit, MAX_LIMIT)
    report = ChainReport(
        ok=True, checked=0, first_id=None, last_id=None, complete=False, head_checked=False
    )
    with db.read() as session:
        connection = session.connection().execution_options(
            stream_results=True, yield_per=STREAM_BATCH
        )
        expected_prev = _previous_hash(connection, from_id)
        rows = connection.execute(
            select(table).where(table.c.id >= from_id).order_by(table.c.id).limit(limit + 1)
        )
        for row in rows:
            if report.checked == limit:
                break
            if row.prev_hash != expected_prev:
                report.broken = BrokenEntry(row.id, "link_broken", expected_prev, row.prev_hash)
                break
            recomputed = entry_hash(row.prev_hash, row)
            if recomputed != row.entry_hash:
                report.broken = BrokenEntry(row.id, "content_changed", recomputed, row.entry_hash)
                break
            report.first_id = report.first_id or row.id
            report.last_id = row.id
            report.checked += 1
            expected_prev = row.entry_hash
        else:
            report.complete = True
        rows.close()
        if report.broken is None and report.complete:
            _check_head(session, report, expected_prev)
    report.ok = report.broken is None
    return report


def _check_head(session: Any, report: ChainReport, last_hash: str) -> None:
    """Deleting the newest entries leaves a valid prefix; the head row remembers how far it went."""
    head = session.get(ChainHead, HEAD_ID)
    newest = session.scalar(select(func.max(LedgerEntry.id)))
    report.head_checked = True
    if head is None:
        if newest is not None:
            report.notes.append("chain head row is missing")
        return
    if head.last_entry_id != newest or head.last_hash != last_hash:
        report.broken = BrokenEntry(
            id=newest or 0,
            problem="head_mismatch",
            expected_hash=head.last_hash,
            stored_hash=last_hash,
        )
