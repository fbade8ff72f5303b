"""Quiet hours as a pure function: in and out of the window, and no window at all."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from bot.checkins.quiet_hours import after_quiet_hours, in_quiet_hours, parse_clock
from bot.checkins.timezones import zone


def test_quiet_hours_function_in_and_out_of_the_window() -> None:
    berlin = zone("Europe/Berlin")
    start, end = parse_clock("22:00"), parse_clock("08:00")
    assert start and end
    day = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)  # 12:00 CEST
    assert after_quiet_hours(day, berlin, start, end) == day
    late = datetime(2026, 6, 1, 20, 5, tzinfo=UTC)  # 22:05 CEST
    assert after_quiet_hours(late, berlin, start, end) == datetime(2026, 6, 2, 6, 0, tzinfo=UTC)
    assert after_quiet_hours(late, berlin, end, end) == late  # start == end: no quiet hours


@pytest.mark.parametrize(
    ("local", "start", "end", "quiet"),
    [
        (time(23, 0), time(22, 0), time(8, 0), True),
        (time(7, 59), time(22, 0), time(8, 0), True),
        (time(8, 0), time(22, 0), time(8, 0), False),
        (time(22, 0), time(22, 0), time(8, 0), True),
        (time(13, 0), time(12, 0), time(14, 0), True),
        (time(14, 0), time(12, 0), time(14, 0), False),
        (time(3, 0), time(0, 0), time(0, 0), False),
    ],
)
def test_in_quiet_hours_across_midnight_and_within_a_day(
    local: time, start: time, end: time, quiet: bool
) -> None:
    assert in_quiet_hours(local, start, end) is quiet


@pytest.mark.parametrize(
    ("typed", "clock"),
    [("22:00", time(22, 0)), (" 7:05 ", time(7, 5)), ("24:00", None), ("7:5", None), ("late", None)],
)
def test_parse_clock(typed: str, clock: time | None) -> None:
    assert parse_clock(typed) == clock
