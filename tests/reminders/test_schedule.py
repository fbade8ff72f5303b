"""The pure schedule: days and a time read from text, and the next slot on a user's wall clock,
over daylight-saving changes in both directions."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from bot.reminders.schedule import Rule, next_slot, parse_rule, slot_key

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def test_days_and_a_time_in_the_ways_people_write_them() -> None:
    assert parse_rule("Mon Wed Fri 18:00") == Rule((0, 2, 4), time(18, 0))
    assert parse_rule("tuesdays and fridays at 6pm") == Rule((1, 4), time(18, 0))
    assert parse_rule("Tue, Fri 6 p.m.") == Rule((1, 4), time(18, 0))
    assert parse_rule("weekdays 7:30") == Rule((0, 1, 2, 3, 4), time(7, 30))
    assert parse_rule("Saturday 10") == Rule((5,), time(10, 0))
    assert parse_rule("Tuesdays and Fridays at six pm") == Rule(
        (1, 4), time(18, 0)
    )  # as recognisers spell it
    assert parse_rule("monday at six thirty p.m.") == Rule((0,), time(18, 30))
    assert parse_rule("Wednesday seven o'clock") == Rule((2,), time(7, 0))
    for bad in (
        "",
        "18:00",
        "mon",
        "mon 25:00",
        "mon 13pm",
        "what time is it on mon 18:00",
        "mon 18:00 18:30x",
    ):
        assert parse_rule(bad) is None, bad


@given(st.text(max_size=60))
def test_any_text_is_a_rule_or_none(text: str) -> None:
    rule = parse_rule(text)
    assert rule is None or (rule.days and Rule.from_code(rule.code) == rule)


@given(st.sets(st.integers(0, 6), min_size=1), st.integers(0, 23), st.integers(0, 59))
def test_the_callback_code_round_trips(days: set[int], hour: int, minute: int) -> None:
    rule = Rule(tuple(sorted(days)), time(hour, minute))
    assert Rule.from_code(rule.code) == rule and len(f"rm:set:{rule.code}".encode()) <= 64


def test_six_pm_stays_six_pm_local_when_the_clocks_go_back() -> None:
    """Europe/Berlin leaves summer time on Sunday 25 October 2026: 18:00 is 16:00 UTC before, 17:00 after."""
    rule = Rule((0, 2, 4), time(18, 0))
    friday = next_slot(rule, datetime(2026, 10, 22, 12, 0, tzinfo=UTC), BERLIN)
    monday = next_slot(rule, friday, BERLIN)
    assert friday.astimezone(UTC) == datetime(2026, 10, 23, 16, 0, tzinfo=UTC)
    assert monday.astimezone(UTC) == datetime(2026, 10, 26, 17, 0, tzinfo=UTC)
    assert slot_key(monday) == "2026-10-26T18:00"


def test_a_time_the_spring_change_skips_still_comes_once() -> None:
    """New York skips 02:00-03:00 on Sunday 8 March 2026: a 02:30 reminder comes once, an hour on."""
    rule = Rule((6,), time(2, 30))
    slot = next_slot(rule, datetime(2026, 3, 7, 12, 0, tzinfo=UTC), NEW_YORK)
    assert slot.astimezone(UTC) == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    after = next_slot(rule, slot, NEW_YORK)
    assert after.astimezone(UTC) == datetime(2026, 3, 15, 6, 30, tzinfo=UTC)


def test_the_next_slot_is_strictly_later() -> None:
    rule = Rule((0,), time(18, 0))
    at_six = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)  # Monday 18:00 Berlin (winter)
    assert next_slot(rule, at_six, BERLIN).astimezone(UTC) == datetime(2026, 3, 9, 17, 0, tzinfo=UTC)
