"""What users type as a time zone, and the name stored for it (or a refusal)."""

from __future__ import annotations

import pytest

from bot.checkins.timezones import canonical_zone


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("+2", "UTC+02:00"),
        ("UTC-5", "UTC-05:00"),
        ("-03:30", "UTC-03:30"),
        ("gmt+5:45", "UTC+05:45"),
        ("utc", "UTC"),
        ("Berlin", "Europe/Berlin"),
        ("new york", "America/New_York"),
        ("america/chicago", "America/Chicago"),
        ("Mars/Olympus", None),
        ("+15", None),
        ("-13", None),
        ("+2:20", None),
        ("", None),
        ("../../etc/passwd", None),
    ],
)
def test_time_zone_names(typed: str, stored: str | None) -> None:
    assert canonical_zone(typed) == stored
