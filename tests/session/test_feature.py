"""The session feature in process: the real coach on a temporary database, driven by typed text,
button presses and fired timers."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.coach import Coach, Incoming
from bot.core.reply import Reply
from bot.knowledge.base import DEFAULT_DIR
from bot.session.loader import MESSAGE_LIMIT, load_flow
from bot.session.store import SessionStore
from tests.support import USER, FakeClock, RecordingScheduler, button_data, make_coach, press, say

FLOW = load_flow(DEFAULT_DIR)


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
        "Remind me of my next session",
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


def test_undo_takes_back_the_reps_just_logged(tmp_path: Path) -> None:
    coach = make_coach(tmp_path)
    to_sets(coach)
    rest = say(coach, "3")
    assert "Undo" in labels(rest)
    again = say(coach, "undo")
    assert again[0].text.startswith("Undone") and "Set 1 of 2" in again[-1].text
    assert logged(coach) == []
    scheduler = coach.scheduler
    assert isinstance(scheduler, RecordingScheduler) and not scheduler.timers, "the rest timer is cancelled"
    say(coach, "2")
    assert logged(coach) == [(1, 2)]
