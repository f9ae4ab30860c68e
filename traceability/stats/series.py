"""Daily series: fills per station and verifications per verdict, summary + live tail."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from traceability.db import Database
from traceability.models import DailyFillCount, DailyScanCount, Facility, Fill, Scan
from traceability.permissions import Permission, Principal
from traceability.stats.days import as_date, checked_range, day_start, local_day
from traceability.stats.refresh import FILLS, SCANS, complete_before, every_station


def _split(session: Session, table: str, start: dt.date, end: dt.date):
    """Days [start, cut) come from the summary table, [cut, end] from raw rows."""
    mark = complete_before(session, table)
    cut = min(max(mark, start), end + dt.timedelta(days=1)) if mark else start
    return cut, {
        "summarised_before": mark,
        "live_from": cut if cut <= end else None,
        "note": "days before summarised_before come from the summary table "
        "(refreshed by `lpgtrace stats-refresh`); later days are counted live",
    }


def fills_per_day(
    db: Database,
    principal: Principal,
    start: dt.date | None = None,
    end: dt.date | None = None,
    station_id: int | None = None,
    offset_hours: int = 7,
) -> dict[str, Any]:
    """Fills per local day per station over at most 366 days.

    Compact for charts: `days` lists every day; each station's `daily` counts align with it.
    """
    principal.require(Permission.STATS_READ)
    start, end = checked_range(start, end, offset_hours)
    counts: dict[tuple[dt.date, int], int] = {}
    with db.read() as session:
        cut, freshness = _split(session, FILLS, start, end)
        summary = select(DailyFillCount.day, DailyFillCount.station_id, DailyFillCount.fills).where(
            DailyFillCount.day >= start, DailyFillCount.day < cut
        )
        if station_id is not None:
            summary = summary.where(DailyFillCount.station_id == station_id)
        for day, station, fills in session.execute(summary):
            counts[(as_date(day), station)] = fills
        if cut <= end:
            day = local_day(Fill.filled_at, session.get_bind().dialect.name, offset_hours)
            live = (
                select(day, Fill.station_id, func.count())
                .where(
                    every_station(),
                    Fill.filled_at >= day_start(cut, offset_hours),
                    Fill.filled_at < day_start(end + dt.timedelta(days=1), offset_hours),
                )
                .group_by(day, Fill.station_id)
            )
            if station_id is not None:
                live = live.where(Fill.station_id == station_id)
            for day_value, station, fills in session.execute(live):
                counts[(as_date(day_value), station)] = fills
        stations = {s for _, s in counts}
        names = dict(
            session.execute(
                select(Facility.id, Facility.name).where(Facility.id.in_(stations))
            ).all()
            if stations
            else []
        )
    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    position = {day: i for i, day in enumerate(days)}
    daily: dict[int, list[int]] = {}
    daily_totals = [0] * len(days)
    for (day, station), fills in counts.items():
        daily.setdefault(station, [0] * len(days))[position[day]] += fills
        daily_totals[position[day]] += fills
    stations_out = [
        {"station_id": station, "station": names.get(station), "fills": sum(row), "daily": row}
        for station, row in daily.items()
    ]
    stations_out.sort(key=lambda item: (-item["fills"], item["station_id"]))
    return {
        "start": start,
        "end": end,
        "days": days,
        "stations": stations_out,
        "daily_totals": daily_totals,
        "total": sum(counts.values()),
        "freshness": freshness,
    }


def verifications_per_day(
    db: Database,
    principal: Principal,
    start: dt.date | None = None,
    end: dt.date | None = None,
    offset_hours: int = 7,
) -> dict[str, Any]:
    """Public verifications per local day, by verdict, over at most 366 days."""
    principal.require(Permission.STATS_READ)
    start, end = checked_range(start, end, offset_hours)
    days: dict[dt.date, dict[str, int]] = {}
    with db.read() as session:
        cut, freshness = _split(session, SCANS, start, end)
        summary = select(DailyScanCount.day, DailyScanCount.verdict, DailyScanCount.scans).where(
            DailyScanCount.day >= start, DailyScanCount.day < cut
        )
        rows = list(session.execute(summary))
        if cut <= end:
            day = local_day(Scan.scanned_at, session.get_bind().dialect.name, offset_hours)
            live = (
                select(day, Scan.verdict, func.count())
                .where(
                    Scan.scanned_at >= day_start(cut, offset_hours),
                    Scan.scanned_at < day_start(end + dt.timedelta(days=1), offset_hours),
                )
                .group_by(day, Scan.verdict)
            )
            rows += list(session.execute(live))
    totals: dict[str, int] = {}
    for day_value, verdict, count in rows:
        bucket = days.setdefault(as_date(day_value), {})
        bucket[verdict] = bucket.get(verdict, 0) + count
        totals[verdict] = totals.get(verdict, 0) + count
    return {
        "start": start,
        "end": end,
        "days": [
            {"day": day, "by_verdict": verdicts, "total": sum(verdicts.values())}
            for day, verdicts in sorted(days.items())
        ],
        "by_verdict": totals,
        "total": sum(totals.values()),
        "freshness": freshness,
    }
