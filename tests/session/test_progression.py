"""Progression: the next session from the past ones, soreness and a hold."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot.session.loader import WORST
from bot.session.progression import POSITIONS, Past, Plan, describe, first_session, next_session
from tests.support import FakeClock

NOW = FakeClock().now


def past(position: int, reps: tuple[int, ...], days_ago: float = 2) -> Past:
    week = POSITIONS[position][0] if position < len(POSITIONS) else POSITIONS[-1][0]
    return Past(NOW - timedelta(days=days_ago), position, week.targets, reps)


def test_progression_follows_the_protocol() -> None:
    assert first_session().targets == (5, 5)
    assert next_session([], now=NOW).targets == (5, 5)
    second = next_session([past(0, (3, 2))], now=NOW)
    assert second.position == 1 and second.targets == (6, 6) and second.kind == "progress"
    assert next_session([past(3, (6, 5, 4))], now=NOW).targets == (8, 8, 8)
    assert next_session([past(9, (10, 10, 10))], now=NOW).targets == (12, 10, 8)
    done = next_session([past(len(POSITIONS) - 1, (12, 10, 8))], now=NOW)
    assert done.kind == "maintain" and "maintenance" in describe(done)


def test_progression_adjusts_by_reps_gap_soreness_and_hold() -> None:
    poor = next_session([past(0, (1, 0))], now=NOW)
    assert poor.position == 0 and poor.kind == "repeat"
    gap = next_session([past(6, (8, 8, 8), days_ago=30)], now=NOW)
    assert gap.kind == "back" and POSITIONS[gap.position][0].number == 3  # week 4 -> week 3
    assert next_session([past(6, (8, 8, 8), days_ago=15)], now=NOW).kind == "back"  # > 2 weeks
    assert next_session([past(6, (8, 8, 8), days_ago=13)], now=NOW).kind == "progress"
    longer = next_session([past(6, (8, 8, 8), days_ago=15)], now=NOW, gap=timedelta(days=21))
    assert longer.kind == "progress", "session.yaml's step_back_days sets the gap"
    sore = next_session([past(3, (6, 6, 6))], now=NOW, soreness=8)
    assert sore.kind == "rest" and sore.sets == 2 and sore.targets == (6, 6)
    moderate = next_session([past(3, (6, 6, 6))], now=NOW, soreness=6)
    assert moderate.kind == "repeat" and moderate.position == 3
    held = next_session([past(3, (6, 6, 6))], now=NOW, held=True)
    assert held.kind == "hold" and "clinician" in describe(held)


@given(
    st.integers(0, 40), st.lists(st.integers(0, 30), min_size=1, max_size=3), st.none() | st.integers(0, 10)
)
def test_every_description_fits(position: int, reps: list[int], soreness: int | None) -> None:
    for held in (False, True):
        plan = next_session([past(position, tuple(reps))], now=NOW, soreness=soreness, held=held)
        assert len(describe(plan)) <= len(WORST["next"])
        assert Plan.from_json(plan.to_json()) == plan
