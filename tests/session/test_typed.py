"""What typed text means mid-session: rep counts read from words and numerals, and words such as back."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.numbers import parse_count as parse_reps
from bot.knowledge.base import DEFAULT_DIR
from bot.session.flow import Event, State
from bot.session.loader import load_flow
from bot.session.typed import is_resume, meaning

FLOW = load_flow(DEFAULT_DIR)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3", 3),
        ("3 reps", 3),
        ("three", 3),
        ("Three reps!", 3),
        ("III", 3),
        ("iv", 4),
        ("I did 4", 4),
        ("0", 0),
        ("none", 0),
        ("ten", 10),
        ("5x", 5),
        ("-2", "bad"),
        ("2.5", "bad"),
        ("3 or 4", "bad"),
        ("how low should I go?", "none"),
        ("where do my hips go", "none"),
        ("", "none"),
    ],
)
def test_parse_reps(text: str, expected: object) -> None:
    assert parse_reps(text) == expected


@given(st.text(max_size=60))
def test_parse_reps_never_crashes(text: str) -> None:
    result = parse_reps(text)
    assert result in ("bad", "none") or (isinstance(result, int) and result >= 0)


# ---------------------------------------------------------------- what a typed line means


def test_words_mean_events_notes_or_a_question() -> None:
    sets, resting = State("sets"), State("sets", set_no=2, resting=True)
    assert meaning(FLOW, sets, "  Where was I? ") is None, "a question mark makes it a question"
    assert meaning(FLOW, sets, "Again!") == Event("repeat")
    assert meaning(FLOW, sets, "back") == Event("back")
    assert meaning(FLOW, resting, "Skip rest.") == Event("skip")
    assert meaning(FLOW, sets, "I did 4") == Event("reps", 4)
    assert meaning(FLOW, resting, "a few") == "resting"
    assert meaning(FLOW, sets, "3 or 4") == "out_of_range"
    assert meaning(FLOW, sets, "a few") == "not_a_number"
    assert meaning(FLOW, sets, "why do my calves cramp") is None
    assert meaning(FLOW, State("safety"), "3") == "not_now"
    assert meaning(FLOW, State("plan"), "ok") == Event("press", 0)
    assert is_resume("Carry on!") and not is_resume("go")
