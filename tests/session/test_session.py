"""The guided session: YAML validation, the pure state machine, progression and the feature in process."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.coach import Coach, Incoming
from bot.core.reply import Reply
from bot.knowledge.base import DEFAULT_DIR
from bot.knowledge.yamlfile import KnowledgeError
from bot.session.flow import (
    MESSAGE_LIMIT,
    WORST,
    Event,
    Flow,
    State,
    fill,
    load_flow,
    parse_reps,
    start_state,
    transition,
)
from bot.session.progression import POSITIONS, Past, Plan, describe, first_session, next_session
from bot.session.store import SessionStore
from tests.support import USER, FakeClock, RecordingScheduler, button_data, make_coach, press, say

FLOW = load_flow(DEFAULT_DIR)


# ---------------------------------------------------------------- the YAML


def test_the_real_session_yaml_loads_and_every_text_is_short() -> None:
    assert FLOW.start == "safety" and FLOW.sets_step.id == "sets"
    assert FLOW.rest_seconds == 120
    for step in FLOW.steps.values():
        for text in (step.text, step.rest_text, *step.more):
            if text:
                message = f"{fill(step.title, WORST)}\n{fill(text, WORST)}"
                assert len(message) < MESSAGE_LIMIT, (step.id, len(message))
    for key, text in FLOW.texts.items():
        assert len(fill(text, WORST)) < MESSAGE_LIMIT, key


def test_issue_steps_are_there() -> None:
    text = " ".join(
        f"{s.title} {s.text} {s.rest_text} {' '.join(s.more)}" for s in FLOW.steps.values()
    ).lower()
    for phrase in (
        "injury",
        "clinician",
        "end of your leg workout",
        "anchor",
        "knees are padded",
        "toes",
        '"l"',
    ):
        assert phrase in text, phrase
    for phrase in ("glutes", "without using your hands", "2-3 reps", "calf", "sharp", "soreness"):
        assert phrase in text, phrase
    wrap = FLOW.steps["wrap-up"]
    assert [c.data for c in wrap.buttons] == ["ci:optin", "sub:on"]


def broken(tmp_path: Path, old: str, new: str) -> list[str]:
    """Copy the knowledge folder, replace `old` by `new` in session.yaml and return the problems."""
    folder = tmp_path / "kb"
    shutil.copytree(DEFAULT_DIR, folder)
    path = folder / "session.yaml"
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(KnowledgeError) as caught:
        load_flow(folder)
    return [str(p) for p in caught.value.problems]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("          to: warm-up\n", "          to: warmup\n", "unknown step 'warmup'"),
        ('        - label: "No, I\'m cold"\n          to: warm-up\n', "", "never reached"),
        ('        - label: "I\'m warm now"\n          to: setup\n', "", "dead end"),
        (
            '        - label: "It\'s gone, carry on"\n          to: back\n        - label: "Stop for today"\n'
            "          to: stop-user\n",
            '        - label: "Again"\n          to: cramp\n',
            "dead end",
        ),
        ("  start: safety", "  start: nowhere", "unknown step 'nowhere'"),
        ("    - id: injury", "    - id: safety", "duplicate step id 'safety'"),
        ("Have you\n        just trained legs?", "Have you {lifted} legs?", "unknown placeholder {lifted}"),
        ("Have you\n        just trained legs?", "Have you " + "really " * 40 + "trained?", "under 400"),
        ("          to: stop-injury", '          data: "x:y"', "only end and stop steps"),
        ('          data: "sub:on"', "          to: safety", "need 'data'"),
        ("  rest_seconds: 120", "  rest_seconds: soon", "rest_seconds"),
        ("    stale: ", "    stall: ", "missing text 'stale'"),
        ("      kind: sets\n", "", "'next' and 'rest_text' belong to the sets step only"),
        (
            '      title: "Safety first"\n',
            '      title: "Safety first"\n      colour: red\n',
            "unknown field",
        ),
    ],
)
def test_broken_yaml_says_file_and_line(tmp_path: Path, old: str, new: str, expected: str) -> None:
    problems = broken(tmp_path, old, new)
    assert any(expected in p for p in problems), problems
    assert all(":" in p and "session.yaml:" in p for p in problems), problems
    line = int(problems[0].split("session.yaml:")[1].split(":")[0])
    assert line >= 1


def test_a_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    problems = broken(tmp_path, "  steps:\n", "  steps: [\n")
    assert "YAML syntax error" in problems[0]


def test_hamcoach_check_validates_session_yaml(tmp_path: Path) -> None:
    import subprocess
    import sys

    folder = tmp_path / "kb"
    shutil.copytree(DEFAULT_DIR, folder)
    path = folder / "session.yaml"
    path.write_text(path.read_text().replace("          to: warm-up\n", "          to: warmup\n", 1))
    result = subprocess.run(
        [sys.executable, "-m", "bot", "check", str(folder)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert "session.yaml:" in result.stderr and "warmup" in result.stderr


# ---------------------------------------------------------------- typed reps


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


# ---------------------------------------------------------------- the pure state machine


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


# ---------------------------------------------------------------- progression


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


# ---------------------------------------------------------------- the feature, in process


def labels(replies: list[Reply]) -> list[str]:
    return [label for r in replies for label in r.labels()]


def to_sets(coach: Coach, user: int = USER) -> list[Reply]:
    replies = say(coach, "/session", user)
    for label in ("No, I'm fine", "Yes, legs are warm", "I'm set up", "Got it", "Ready", "Start my sets"):
        replies = press(coach, button_data(replies, label), user)
    assert "Set 1 of 2" in replies[-1].text
    return replies


def logged(coach: Coach, user: int = USER) -> list[tuple[int, int]]:
    store = SessionStore(coach.store.db)
    rows = store.history(user)
    return store.sets_of(rows[0][0].id) if rows else []


def test_full_session_in_process(tmp_path: Path) -> None:
    clock = FakeClock()
    coach = make_coach(tmp_path, clock)
    finished: list[dict[str, object]] = []

    def listener(user: int, data: dict[str, object]) -> list[Reply]:
        finished.append(data)
        return []

    coach.on("session_finished", listener)
    replies = to_sets(coach)
    assert labels(replies)[:9] == [str(n) for n in range(9)]
    rest = press(coach, button_data(replies, "3"))
    assert "3 reps logged" in rest[-1].text and "Skip rest" in labels(rest)
    scheduler = coach.scheduler
    assert isinstance(scheduler, RecordingScheduler)
    [name] = scheduler.timers
    assert scheduler.timers[name] == clock.now + timedelta(minutes=2)
    assert say(coach, "4")[0].text.startswith("Resting"), "a number while resting is not logged"
    clock.advance(minutes=2)
    ping = [o.reply for n in scheduler.due(clock.now) for o in coach.fire(n)]
    assert ping[0].text == "Rest is over." and "Set 2 of 2" in ping[1].text
    assert coach.fire(name) == [], "a repeated fire does nothing"
    wrap = say(coach, "two reps")
    assert "You logged 2 sets: 3 and 2 reps, 5 in total." in wrap[0].text
    assert "week 2" in wrap[1].text and labels(wrap) == [
        "Check in on my soreness",
        "Notify me of site updates",
    ]
    assert logged(coach) == [(1, 3), (2, 2)]
    assert finished and finished[0]["total_reps"] == 5
    assert all(len(r.text) < MESSAGE_LIMIT for r in [*replies, *rest, *ping, *wrap])
    history = say(coach, "/history")[0].text
    assert "finished" in history and "3 + 2 = 5" in history and "Next: week 2" in history


def test_double_press_and_old_buttons_log_nothing_twice(tmp_path: Path) -> None:
    coach = make_coach(tmp_path)
    replies = to_sets(coach)
    data = button_data(replies, "4")
    press(coach, data)
    again = press(coach, data)
    assert "earlier step" in again[0].text
    skip = button_data(again, "Skip rest")
    press(coach, skip)
    assert "earlier step" in press(coach, skip)[0].text
    assert "earlier step" in press(coach, data)[0].text
    assert logged(coach) == [(1, 4)]
    assert "older message" in press(coach, "s:999.1:r3")[0].text
    assert "older message" in press(coach, "s:garbage")[0].text


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        ("12345", "whole number from 0 to 30"),
        ("-1", "whole number from 0 to 30"),
        ("a few", "couldn't read a number"),
        ("2.5", "whole number from 0 to 30"),
    ],
)
def test_odd_reps_get_a_kind_reply(tmp_path: Path, text: str, reply: str) -> None:
    coach = make_coach(tmp_path)
    to_sets(coach)
    answer = say(coach, text)
    assert reply in answer[0].text and labels(answer)[:9] == [str(n) for n in range(9)]
    assert logged(coach) == []


@pytest.mark.parametrize("text", ["3", "3 reps", "three", "III", "I did 3"])
def test_typed_reps(tmp_path: Path, text: str) -> None:
    coach = make_coach(tmp_path)
    to_sets(coach)
    say(coach, text)
    assert logged(coach) == [(1, 3)]


def test_question_mid_session_keeps_the_place(tmp_path: Path) -> None:
    coach = make_coach(tmp_path)
    replies = say(coach, "/session")
    replies = press(coach, button_data(replies, "No, I'm fine"))
    answer = say(coach, "why do my calves cramp?")
    assert "toes" in answer[0].text.lower()
    assert 'waiting at "When to do it"' in answer[-1].text
    back = press(coach, button_data(answer, "Continue"))
    assert back[0].text.startswith("When to do it")
    press(coach, button_data(replies, "Yes, legs are warm"))  # the step's own button still works
    assert "Set-up" in say(coach, "repeat")[0].text
    red = say(coach, "I felt a sharp pain")
    assert "clinician" in red[0].text.lower() and "Sharp pain" in labels(red)


def test_session_twice_pause_resume_cancel(tmp_path: Path) -> None:
    coach = make_coach(tmp_path)
    say(coach, "/session")
    running = say(coach, "/session")
    assert "already have a session" in running[0].text and "Start over" in labels(running)
    paused = say(coach, "/pause")
    assert 'Paused at "Safety first"' in paused[0].text
    assert "don't know" in say(coach, "banana bread")[0].text, "paused: text is a question again"
    old = press(coach, button_data(running, "Continue"))
    assert "earlier step" in old[0].text and "paused" in old[1].text
    resumed = press(coach, button_data(paused, "Resume"))
    assert resumed[0].text.startswith("Safety first")
    assert "not paused" in say(coach, "/resume")[0].text
    assert "cancelled" in say(coach, "/cancel")[0].text
    assert "no session to cancel" in say(coach, "/cancel")[0].text
    assert "no paused session" in say(coach, "/resume")[0].text
    assert "no session running" in say(coach, "/pause")[0].text
    over = say(coach, "/session")
    fresh = press(coach, button_data(say(coach, "/session"), "Start over"))
    assert fresh[0].text.startswith("Safety first")
    assert "session is over" in press(coach, button_data(over, "No, I'm fine"))[0].text
    assert SessionStore(coach.store.db).running(USER) is not None


def test_pause_during_rest_then_resume_shows_the_set(tmp_path: Path) -> None:
    coach = make_coach(tmp_path)
    press(coach, button_data(to_sets(coach), "2"))
    say(coach, "/pause")
    assert isinstance(coach.scheduler, RecordingScheduler) and not coach.scheduler.timers
    resumed = say(coach, "/resume")
    assert "Set 2 of 2" in resumed[0].text


def test_pain_stop_holds_the_next_session(tmp_path: Path) -> None:
    coach = make_coach(tmp_path)
    replies = to_sets(coach)
    stop = press(coach, button_data(replies, "Sharp pain"))
    assert "clinician" in stop[0].text
    hold = say(coach, "/session")
    assert "on hold" in hold[0].text and "sharp pain" in hold[0].text
    start = press(coach, button_data(hold, "clinician cleared me"))
    assert start[0].text.startswith("Safety first")


def test_cramp_detour_and_back(tmp_path: Path) -> None:
    coach = make_coach(tmp_path)
    replies = to_sets(coach)
    cramp = press(coach, button_data(replies, "Cramp"))
    assert "toes" in cramp[0].text
    assert say(coach, "3")[0].text.startswith("I'll ask for your reps")
    back = press(coach, button_data(cramp, "carry on"))
    assert "Set 1 of 2" in back[0].text


def test_forget_deletes_sessions(tmp_path: Path) -> None:
    coach = make_coach(tmp_path)
    press(coach, button_data(to_sets(coach), "2"))
    coach.emit("forget", USER, {})
    assert coach.store.count("sessions") == coach.store.count("sets") == coach.store.count("rests") == 0
    assert isinstance(coach.scheduler, RecordingScheduler) and not coach.scheduler.timers


def test_start_button_and_status_count(tmp_path: Path) -> None:
    coach = make_coach(tmp_path)
    welcome = say(coach, "/start")
    assert "Start my first session" in labels(welcome)
    assert press(coach, "s:begin")[0].text.startswith("Safety first")
    assert coach.store.status()["sessions"] == 1


# ---------------------------------------------------------------- fuzzing the feature

ACTIONS = st.one_of(
    st.tuples(st.just("button"), st.integers(0, 15)),
    st.tuples(st.just("old"), st.integers(0, 15)),
    st.tuples(
        st.just("text"),
        st.sampled_from(
            [
                "3",
                "three",
                "III",
                "0",
                "99",
                "-1",
                "back",
                "repeat",
                "skip",
                "ok",
                "why do my calves cramp?",
                "sharp pain",
                "",
                "🔥",
                "/session",
                "/pause",
                "/resume",
                "/cancel",
                "/history",
                "<b>",
            ]
        ),
    ),
    st.tuples(st.just("wait"), st.integers(0, 200)),
    st.tuples(st.just("edit"), st.just("4")),
)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(ACTIONS, max_size=40))
def test_random_presses_and_messages_never_crash(
    tmp_path_factory: pytest.TempPathFactory, actions: list[tuple[str, int | str]]
) -> None:
    clock = FakeClock()
    coach = make_coach(tmp_path_factory.mktemp("fuzz"), clock)
    scheduler = coach.scheduler
    assert isinstance(scheduler, RecordingScheduler)
    store = SessionStore(coach.store.db)
    shown: list[str] = ["s:begin"]
    seen: list[str] = ["s:begin"]
    for kind, value in actions:
        if kind == "button":
            assert isinstance(value, int)
            replies = coach.handle(Incoming(USER, USER, "button", shown[value % len(shown)]))
        elif kind == "old":
            assert isinstance(value, int)
            replies = coach.handle(Incoming(USER, USER, "button", seen[value % len(seen)]))
        elif kind == "wait":
            assert isinstance(value, int)
            clock.advance(seconds=value)
            replies = [o.reply for name in scheduler.due(clock.now) for o in coach.fire(name)]
        else:
            replies = coach.handle(Incoming(USER, USER, "edited" if kind == "edit" else "text", str(value)))
        datas = [b.data for r in replies for row in r.buttons for b in row]
        if datas:
            shown = datas
            seen += datas
        for reply in replies:
            assert reply.text.strip() and len(reply.html) <= 4096
        for row, sets in store.history(USER):
            assert row.state.step in FLOW.steps
            assert [n for n, _ in sets] == list(range(1, len(sets) + 1))
            assert len(sets) <= row.plan.sets
    coach.store.close()


def test_a_step_removed_from_the_yaml_restarts_the_walkthrough_keeping_sets(tmp_path: Path) -> None:
    coach = make_coach(tmp_path)
    press(coach, button_data(to_sets(coach), "2"))
    coach.store.db.execute("update sessions set step = 'renamed-by-a-coach'")
    coach.store.db.conn.commit()
    assert say(coach, "repeat")[0].text.startswith("Safety first")
    assert logged(coach) == [(1, 2)]
    assert SessionStore(coach.store.db).running(USER) is not None
