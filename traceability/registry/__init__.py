"""The department's master data: administrative units, organisations and their licences, brands,
facilities, cylinder types, filling contracts, and search over them.

Small helpers every registry service shares live here: the province's calendar day, and turning
a unique-constraint race into a clean 409.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from traceability.db import utcnow
from traceability.errors import Conflict, ValidationFailed
from traceability.localtime import local_day
from traceability.text import fold


def province_today() -> dt.date:
    """Today's date in the province, which decides whether a licence or contract is in force."""
    return local_day(utcnow())


class InvalidPeriod(ValidationFailed):
    code = "invalid_period"
    message_vi = "Ngày kết thúc không được trước ngày bắt đầu."
    message_en = "The end date must not be before the start date."


def ensure_period(start: dt.date | None, end: dt.date | None) -> None:
    """Refuse a validity period that ends before it starts."""
    if start is not None and end is not None and end < start:
        raise InvalidPeriod(f"{end.isoformat()} is before {start.isoformat()}")


def flush_or_conflict(session: Session, conflict: Conflict) -> None:
    """Flush now; a unique-constraint race that slipped past our checks becomes a 409, not a 500."""
    try:
        session.flush()
    except IntegrityError:
        raise conflict from None


def search_text(*parts: str | None, limit: int = 512) -> str:
    """The folded, accent-free form stored in `*_search` columns, cut to the column's size."""
    return fold(" ".join(part for part in parts if part))[:limit]
