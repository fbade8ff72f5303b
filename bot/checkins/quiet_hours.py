"""Quiet hours: the local night in which no check-in is sent, and the first moment after it.

Pure functions on clock times and tzinfo, tested directly (daylight-saving changes included).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo

TIME_PATTERN = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def parse_clock(text: str) -> time | None:
    """'22:00' -> time(22, 0); None when it is not a 24-hour clock time."""
    match = TIME_PATTERN.match(text.strip())
    return time(int(match.group(1)), int(match.group(2))) if match else None


def in_quiet_hours(local: time, start: time, end: time) -> bool:
    """Whether a local clock time falls in [start, end), the window possibly crossing midnight."""
    if start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end


def after_quiet_hours(when: datetime, tz: tzinfo, start: time, end: time) -> datetime:
    """`when` (aware) moved to the end of the user's quiet hours if it falls inside them, in UTC.

    Local wall-clock arithmetic through zoneinfo, so 08:00 stays 08:00 across a daylight-saving change.
    """
    local = when.astimezone(tz)
    clock = local.time().replace(tzinfo=None)
    if not in_quiet_hours(clock, start, end):
        return when.astimezone(UTC)
    day: date = local.date()
    if start > end and clock >= start:
        day += timedelta(days=1)
    return datetime.combine(day, end, tzinfo=tz).astimezone(UTC)
