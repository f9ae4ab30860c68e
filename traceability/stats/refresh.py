"""Incremental refresh of the daily summary tables (`lpgtrace stats-refresh`, e.g. every 10 min).

Each run re-summarises the local days from (last complete day − lookback) up to yesterday, so
fills recorded late by offline devices within the lookback are counted; today is always read live.
Rows are replaced day by day in one transaction, so readers never see a half-refreshed day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from traceability.db import Database, utcnow
from traceability.models import (
    DailyFillCount,
    DailyScanCount,
    Facility,
    Fill,
    Scan,
    StatsRefreshMark,
)
from traceability.stats.days import DEFAULT_UTC_OFFSET_HOURS, as_date, day_start, local_day
from traceability.stats.days import local_today as _local_today

DEFAULT_LOOKBACK_DAYS = 7
FILLS, SCANS = "daily_fill_counts", "daily_scan_counts"


@dataclass(frozen=True)
class RefreshResult:
    table: str
    start: dt.date
    end: dt.date  # exclusive
    rows: int


def complete_before(session: Session, table: str) -> dt.date | None:
    """Days before this date are summarised in `table` (None: never refreshed)."""
    mark = session.get(StatsRefreshMark, table)
    return mark.complete_before if mark else None


def _first_day(session: Session, column, dialect: str, offset: int) -> dt.date | None:
    earliest = session.scalar(select(func.min(column)))
    if earliest is None:
        return None
    return (earliest + dt.timedelta(hours=offset)).date()


def every_station():
    """`station_id IN (all facilities)`: lets PostgreSQL range-scan ix_fills_station_filled_at
    once per facility instead of reading every fill (there is no index on filled_at alone)."""
    return Fill.station_id.in_(select(Facility.id))


def _rows(session: Session, table, start: dt.date, end: dt.date) -> int:
    """Summary rows now stored for [start, end) (drivers disagree on INSERT … SELECT rowcount)."""
    stmt = select(func.count()).select_from(table).where(table.day >= start, table.day < end)
    return session.scalar(stmt) or 0


def _refresh_fills(session: Session, start: dt.date, end: dt.date, offset: int) -> int:
    dialect = session.get_bind().dialect.name
    day = local_day(Fill.filled_at, dialect, offset)
    session.execute(
        delete(DailyFillCount).where(DailyFillCount.day >= start, DailyFillCount.day < end)
    )
    source = (
        select(day.label("day"), Fill.station_id, func.count().label("fills"))
        .where(
            every_station(),
            Fill.filled_at >= day_start(start, offset),
            Fill.filled_at < day_start(end, offset),
        )
        .group_by(day, Fill.station_id)
    )
    session.execute(insert(DailyFillCount).from_select(["day", "station_id", "fills"], source))
    return _rows(session, DailyFillCount, start, end)


def _refresh_scans(session: Session, start: dt.date, end: dt.date, offset: int) -> int:
    dialect = session.get_bind().dialect.name
    day = local_day(Scan.scanned_at, dialect, offset)
    session.execute(
        delete(DailyScanCount).where(DailyScanCount.day >= start, DailyScanCount.day < end)
    )
    source = (
        select(day.label("day"), Scan.verdict, func.count().label("scans"))
        .where(
            Scan.scanned_at >= day_start(start, offset), Scan.scanned_at < day_start(end, offset)
        )
        .group_by(day, Scan.verdict)
    )
    session.execute(insert(DailyScanCount).from_select(["day", "verdict", "scans"], source))
    return _rows(session, DailyScanCount, start, end)


_TABLES = {
    FILLS: (_refresh_fills, Fill.filled_at),
    SCANS: (_refresh_scans, Scan.scanned_at),
}


def refresh(
    db: Database,
    *,
    since: dt.date | None = None,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
    offset_hours: int = DEFAULT_UTC_OFFSET_HOURS,
) -> list[RefreshResult]:
    """Bring every summary table up to the end of yesterday (local time)."""
    end = _local_today(offset_hours)
    results = []
    for table, (summarise, column) in _TABLES.items():
        with db.transaction() as session:
            dialect = session.get_bind().dialect.name
            locked = session.get(StatsRefreshMark, table, with_for_update=True)
            mark = locked.complete_before if locked else None
            start = since
            if start is None and mark is not None:
                start = mark - dt.timedelta(days=lookback_days)
            if start is None:
                start = _first_day(session, column, dialect, offset_hours) or end
            start = min(as_date(start), end)
            rows = summarise(session, start, end, offset_hours) if start < end else 0
            stored = locked
            if stored is None:
                session.add(
                    StatsRefreshMark(name=table, complete_before=end, refreshed_at=utcnow())
                )
            else:
                stored.complete_before = max(end, stored.complete_before)
                stored.refreshed_at = utcnow()
            results.append(RefreshResult(table, start, end, rows))
    return results
