"""Summary tables for statistics: daily counts refreshed incrementally by `lpgtrace stats-refresh`."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from traceability.db import Base, intpk, str32, str64, utc, utcnow


class DailyFillCount(Base):
    """Fills recorded at one station on one UTC day (from `fills.filled_at`)."""

    __tablename__ = "daily_fill_counts"

    id: Mapped[intpk]
    day: Mapped[dt.date] = mapped_column(Date)
    station_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"))
    fills: Mapped[int]


Index(
    "uq_daily_fill_counts_day_station", DailyFillCount.day, DailyFillCount.station_id, unique=True
)
Index("ix_daily_fill_counts_station_day", DailyFillCount.station_id, DailyFillCount.day)


class DailyScanCount(Base):
    """Public verifications on one UTC day with one verdict (from `scans.scanned_at`)."""

    __tablename__ = "daily_scan_counts"

    id: Mapped[intpk]
    day: Mapped[dt.date] = mapped_column(Date)
    verdict: Mapped[str32]
    scans: Mapped[int]


Index("uq_daily_scan_counts_day_verdict", DailyScanCount.day, DailyScanCount.verdict, unique=True)


class StatsRefreshMark(Base):
    """How far a summary table is complete: days before `complete_before` are summarised."""

    __tablename__ = "stats_refresh_marks"

    name: Mapped[str64] = mapped_column(primary_key=True)
    complete_before: Mapped[dt.date] = mapped_column(Date)
    refreshed_at: Mapped[utc] = mapped_column(default=utcnow)
