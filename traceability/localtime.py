"""The province's civil time: dates people read and rules decide on are local calendar days.

Vietnam has kept UTC+7 without daylight saving since 1975.
"""

from __future__ import annotations

import datetime as dt

PROVINCE_TZ = dt.timezone(dt.timedelta(hours=7), "ICT")


def local_day(moment: dt.datetime) -> dt.date:
    """The province's calendar day of an instant (an inspection due date is such a day)."""
    return moment.astimezone(PROVINCE_TZ).date()
