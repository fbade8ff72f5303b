"""The session's callback data and rest timer names: each built in one place and read back there."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.session.buttons import Pressed, button_event, callback, parse_callback
from bot.session.flow import Event
from bot.session.timers import parse_rest_timer, rest_timer
from tests.session.rows import ROW


def test_callback_data_round_trips_and_fits_telegram() -> None:
    data = callback(ROW, "r12")
    assert data == "s:7.3:r12" and len(data.encode()) <= 64
    assert parse_callback(data.removeprefix("s:")) == Pressed(7, 3, "r12")
    for bad in ("garbage", "7.3:", "7:r1", "x.3:r1", "7.y:r1"):
        assert parse_callback(bad) is None, bad


def test_button_actions_are_events() -> None:
    assert button_event("skip") == Event("skip")
    assert button_event("b1") == Event("press", 1)
    assert button_event("a0") == Event("anytime", 0)
    assert button_event("r30") == Event("reps", 30)
    for bad in ("r", "r1234", "x1", "cont", "b-1"):
        assert button_event(bad) is None, bad


@given(st.integers(0, 10**9), st.integers(0, 99))
def test_rest_timer_names_round_trip(session_id: int, set_no: int) -> None:
    name = rest_timer(session_id, set_no)
    assert name.startswith("rest:") and parse_rest_timer(name) == (session_id, set_no)


def test_other_names_are_not_rest_timers() -> None:
    for name in ("rest:1", "rest:a:1", "ci:1:2", "rest::", "rests:1:2"):
        assert parse_rest_timer(name) is None, name
