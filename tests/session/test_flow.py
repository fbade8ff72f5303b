"""The pure state machine over the real session.yaml: walks, detours, refusals, and random events."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.knowledge.base import DEFAULT_DIR
from bot.session.flow import Event, Flow, State, start_state, transition
from bot.session.loader import load_flow

FLOW = load_flow(DEFAULT_DIR)


def walk(flow: Flow, presses: list[int]) -> State:
    state = start_state(flow)
    for i in presses:
        state = transition(flow, 2, state, Event("press", i)).state
    return state


def test_walkthrough_of_the_pure_machine() -> None:
    state = walk(FLOW, [0, 0, 0, 0, 0, 0])
    assert state.step == "sets" and state.set_no == 1
    first = transition(FLOW, 2, state, Event("reps", 3))
    assert first.logged == (1, 3) and first.rest == "start" and first.state.resting
    again = transition(FLOW, 2, first.state, Event("reps", 4))
    assert again.note == "resting" and again.logged is None, "no reps while resting"
    skipped = transition(FLOW, 2, first.state, Event("skip"))
    assert skipped.rest == "end" and not skipped.state.resting
    last = transition(FLOW, 2, skipped.state, Event("reps", 2))
    assert last.logged == (2, 2) and last.finished == "end" and last.state.step == "wrap-up"
    over = transition(FLOW, 2, last.state, Event("reps", 2))
    assert over.note == "session_over" and over.logged is None


def test_back_cramp_and_pain() -> None:
    state = walk(FLOW, [0, 0])  # safety -> timing -> setup
    assert state.step == "setup"
    back = transition(FLOW, 2, state, Event("back")).state
    assert back.step == "timing"
    assert transition(FLOW, 2, start_state(FLOW), Event("back")).note == "first_step"
    cramp = transition(FLOW, 2, state, Event("anytime", 0)).state
    assert cramp.step == "cramp"
    assert transition(FLOW, 2, cramp, Event("anytime", 0)).note == "stale", "no anytime buttons on cramp"
    carry_on = transition(FLOW, 2, cramp, Event("press", 0)).state
    assert carry_on.step == "setup"
    pain = transition(FLOW, 2, state, Event("anytime", 1))
    assert pain.finished == "stop" and pain.reason == "pain" and pain.state.done


def test_back_is_refused_after_a_logged_set() -> None:
    state = walk(FLOW, [0, 0, 0, 0, 0, 0])
    state = transition(FLOW, 2, state, Event("reps", 3)).state
    state = transition(FLOW, 2, state, Event("skip")).state
    assert transition(FLOW, 2, state, Event("back")).note == "no_back_past_sets"


def test_reps_out_of_place() -> None:
    assert transition(FLOW, 2, start_state(FLOW), Event("reps", 3)).note == "not_now"
    state = walk(FLOW, [0, 0, 0, 0, 0, 0])
    assert transition(FLOW, 2, state, Event("reps", 99)).note == "out_of_range"
    assert transition(FLOW, 2, state, Event("press", 0)).note == "stale"


EVENTS = st.builds(
    Event,
    st.sampled_from(["press", "anytime", "reps", "skip", "rest_over", "back", "repeat"]),
    st.integers(min_value=-2, max_value=40),
)


@settings(max_examples=300)
@given(st.lists(EVENTS, max_size=60), st.integers(min_value=1, max_value=3))
def test_random_events_stay_inside_the_yaml(events: list[Event], sets: int) -> None:
    state = start_state(FLOW)
    logged: list[int] = []
    for event in events:
        outcome = transition(FLOW, sets, state, event)
        state = outcome.state
        assert state.step in FLOW.steps
        assert 1 <= state.set_no <= sets + 1
        if outcome.logged:
            logged.append(outcome.logged[0])
        if state.done:
            assert FLOW.steps[state.step].final
    assert logged == list(range(1, len(logged) + 1)), "each set once, in order"
