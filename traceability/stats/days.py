"""Calendar days in the province's time zone (UTC+7, no daylight saving) for daily statistics."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Date, cast, func, text
from sqlalchemy.sql import ColumnElement

from traceability.db import utcnow
from traceability.errors import ValidationFailed

MAX_RANGE_DAYS = 366
DEFAULT_UTC_OFFSET_HOURS = 7


class BadDateRange(ValidationFailed):
    code = "bad_date_range"
    message_vi = "Khoảng ngày không hợp lệ (tối đa 366 ngày, ngày bắt đầu không sau ngày kết thúc)."
    message_en = "The date range is not valid (at most 366 days, start not after end)."


def local_today(offset_hours: int = DEFAULT_UTC_OFFSET_HOURS) -> dt.date:
    return (utcnow() + dt.timedelta(hours=offset_hours)).date()


def day_start(day: dt.date, offset_hours: int = DEFAULT_UTC_OFFSET_HOURS) -> dt.datetime:
    """The UTC instant at which the local `day` begins."""
    return dt.datetime.combine(day, dt.time(), dt.UTC) - dt.timedelta(hours=offset_hours)


def local_day(column: Any, dialect: str, offset_hours: int = DEFAULT_UTC_OFFSET_HOURS):
    """SQL for the local calendar day of a UTC timestamp column, on SQLite or PostgreSQL."""
    hours = int(offset_hours)
    if dialect == "postgresql":
        expr: ColumnElement[Any] = cast(column + text(f"interval '{hours} hours'"), Date)
        return expr
    return func.date(column, f"{hours:+d} hours", type_=Date)


def checked_range(
    start: dt.date | None, end: dt.date | None, offset_hours: int = DEFAULT_UTC_OFFSET_HOURS
) -> tuple[dt.date, dt.date]:
    """The inclusive [start, end] range, defaulting to the last 30 days, at most 366 days."""
    end = end or local_today(offset_hours)
    start = start or end - dt.timedelta(days=29)
    if start > end:
        raise BadDateRange(f"{start} is after {end}")
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise BadDateRange(f"{(end - start).days + 1} days requested")
    return start, end


def as_date(value: Any) -> dt.date:
    """Normalise what a driver returns for a date expression (SQLite gives text)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))
