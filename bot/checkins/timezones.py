"""Time-zone names: what a user typed ('Berlin', 'UTC+5:30') to a stored name, and a stored name to a
tzinfo. Unknown names are refused when typed and read as UTC when stored, so nothing here raises.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, available_timezones

OFFSET_PATTERN = re.compile(r"^(?:utc|gmt)?\s*([+-])\s*(\d{1,2})(?:[:.h]?(\d{2}))?$")
UTC_NAMES = {"utc", "gmt", "z", "zulu", "utc+0", "utc-0", "gmt+0", "gmt-0", "+0", "-0", "0"}


@functools.cache
def _zone_lookup() -> dict[str, str]:
    """Casefolded full names and city parts ('new york', 'berlin') to canonical zone names."""
    names = sorted(
        n
        for n in available_timezones()
        if not n.startswith(("posix/", "right/", "Etc/")) and n != "localtime"
    )
    lookup: dict[str, str] = {}
    for name in names:
        lookup.setdefault(name.casefold(), name)
    for name in names:
        if "/" in name:
            city = name.rsplit("/", 1)[1].replace("_", " ").casefold()
            lookup.setdefault(city, name)
    return lookup


def canonical_zone(text: str) -> str | None:
    """The stored name for what a user typed: 'Europe/Berlin', 'UTC+05:30', 'UTC'; None if unknown."""
    cleaned = " ".join(text.strip().split())
    folded = cleaned.casefold()
    if not folded or len(folded) > 64:
        return None
    if folded in UTC_NAMES:
        return "UTC"
    match = OFFSET_PATTERN.match(folded)
    if match:
        sign, hours, minutes = match.group(1), int(match.group(2)), int(match.group(3) or 0)
        total = hours * 60 + minutes
        if (
            minutes not in (0, 15, 30, 45)
            or (sign == "+" and total > 14 * 60)
            or (sign == "-" and total > 12 * 60)
        ):
            return None
        return "UTC" if total == 0 else f"UTC{sign}{hours:02d}:{minutes:02d}"
    key = folded.replace("_", " ")
    lookup = _zone_lookup()
    return lookup.get(folded) or lookup.get(key) or lookup.get(key.replace(" ", "_"))


def zone(name: str | None) -> tzinfo:
    """The tzinfo for a stored name; unknown or unset means UTC (never raises)."""
    if not name or name == "UTC":
        return UTC
    match = re.fullmatch(r"UTC([+-])(\d{2}):(\d{2})", name)
    if match:
        delta = timedelta(hours=int(match.group(2)), minutes=int(match.group(3)))
        return timezone(delta if match.group(1) == "+" else -delta, name)
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        return UTC
