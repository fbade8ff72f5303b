"""DOMS check-ins with an injected clock: scheduling, quiet hours, daylight saving, snooze, missed
windows, red flags, /forget and bad input. Timers run by moving the FakeClock, never by sleeping.
"""

from __future__ import annotations

import io
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.app import build_coach
from bot.checkins.plan import load_checkins
from bot.checkins.quiet_hours import after_quiet_hours, parse_clock
from bot.checkins.readiness import held, latest_soreness
from bot.checkins.scores import parse_score
from bot.checkins.timezones import canonical_zone, zone
from bot.checkins.store import CheckinStore
from bot.core.coach import Coach, Outgoing
from bot.core.reply import Reply
from bot.knowledge.base import DEFAULT_DIR
from bot.knowledge.yamlfile import KnowledgeError
from tests.support import USER, FakeClock, RecordingScheduler, make_config, press, say

MONDAY_NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


class Bot:
    """A coach on a temporary database plus its recorded timers, run like the adapters run them."""

    def __init__(self, tmp_path: Path, clock: FakeClock, **overrides: Any) -> None:
        self.clock = clock
        self.scheduler = RecordingScheduler()
        self.coach: Coach = build_coach(
            make_config(tmp_path, **overrides), clock=clock, scheduler=self.scheduler
        )
        for due in self.coach.pending_timers():  # what the adapters do at start-up
            self.scheduler.schedule(due.name, due.when)
        self.store = CheckinStore(self.coach.store.db)

    def run_until(self, until: datetime) -> list[Outgoing]:
        """Let time pass up to `until`, firing each timer at its own time, as a running bot would."""
        sent: list[Outgoing] = []
        while True:
            pending = [w for w in self.scheduler.timers.values() if w <= until]
            if not pending:
                break
            self.clock.now = max(self.clock.now, min(pending))
            for name in self.scheduler.due(self.clock.now):
                sent += self.coach.fire(name)
        self.clock.now = max(self.clock.now, until)
        return sent

    def finish_session(
        self, session_id: int = 1, user: int = USER, at: datetime | None = None
    ) -> list[Reply]:
        finished = (at or self.clock.now).isoformat()
        data: dict[str, object] = {"session_id": session_id, "finished_at": finished, "total_reps": 10}
        return self.coach.emit("session_finished", user, data)

    def rows(self, user: int = USER) -> list[Any]:
        return self.store.for_user(user)

    def close(self) -> None:
        self.coach.store.close()


@pytest.fixture
def bot(tmp_path: Path) -> Bot:
    b = Bot(tmp_path, FakeClock(MONDAY_NOON))
    say(b.coach, "/start")
    return b


def opted_in(bot: Bot, tz: str = "Europe/Berlin") -> None:
    press(bot.coach, "ci:optin")
    say(bot.coach, f"/timezone {tz}")


def texts(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies)


def score_data(out: Outgoing, score: int) -> str:
    return next(b.data for row in out.reply.buttons for b in row if b.label == str(score))


# ---------------------------------------------------------------------------- scheduling


def test_opted_in_user_gets_24_and_48_hour_check_ins(bot: Bot) -> None:
    opted_in(bot)
    replies = bot.finish_session()
    assert "check in" in texts(replies).lower()
    rows = bot.rows()
    assert [(r.kind, r.due_at) for r in rows] == [
        ("h24", MONDAY_NOON + timedelta(hours=24)),
        ("h48", MONDAY_NOON + timedelta(hours=48)),
    ]
    assert bot.coach.store.status()["pending_checkins"] == 2

    assert bot.run_until(MONDAY_NOON + timedelta(hours=23)) == []
    [ping] = bot.run_until(MONDAY_NOON + timedelta(hours=24))
    assert ping.chat_id == USER and "0 (not at all) to 10" in ping.reply.text
    assert [b.label for b in ping.reply.buttons[0]] == ["0", "1", "2", "3", "4", "5"]
    assert bot.rows()[0].status == "sent"

    answer = press(bot.coach, score_data(ping, 5))
    assert "5/10" in texts(answer) and "24 and 72 hours" in texts(answer)
    assert "Source: Cheung" in texts(answer)
    assert latest_soreness(bot.coach.store, USER, bot.clock.now) == 5

    [ping48] = bot.run_until(MONDAY_NOON + timedelta(hours=48))
    assert "Two days on" in ping48.reply.text
    press(bot.coach, score_data(ping48, 3))
    assert [r.kind for r in bot.rows()] == ["h24", "h48"]  # 3 < 4: no 72-hour check-in
    assert bot.run_until(MONDAY_NOON + timedelta(days=5)) == []
    assert bot.coach.store.status()["pending_checkins"] == 0


def test_72_hour_check_in_only_after_a_48_hour_score_of_4_or_more(bot: Bot) -> None:
    opted_in(bot)
    bot.finish_session()
    bot.run_until(MONDAY_NOON + timedelta(hours=24))
    assert len(bot.run_until(MONDAY_NOON + timedelta(hours=48))) == 1
    assert "Thanks" in texts(say(bot.coach, "4"))  # typed works as well as pressed
    assert [r.kind for r in bot.rows()] == ["h24", "h48", "h72"]
    assert bot.rows()[0].status == "missed"  # the unanswered 24-hour one
    [ping72] = bot.run_until(MONDAY_NOON + timedelta(hours=72))
    assert "Three days on" in ping72.reply.text


def test_no_check_ins_without_consent_and_opt_in_after_the_session_schedules_them(bot: Bot) -> None:
    assert bot.finish_session(session_id=7) == []
    assert bot.rows() == []
    assert "not on yet" in texts(say(bot.coach, "/checkins"))
    bot.clock.advance(minutes=5)
    replies = press(bot.coach, "ci:optin")
    assert "time zone" in texts(replies).lower()  # asked, because it is not set
    assert [r.session_id for r in bot.rows()] == [7, 7]
    press(bot.coach, "ci:optin")  # pressing again duplicates nothing
    assert len(bot.rows()) == 2


def test_repeated_event_and_repeated_timer_send_once(bot: Bot) -> None:
    opted_in(bot)
    bot.finish_session()
    bot.finish_session()
    assert len(bot.rows()) == 2
    bot.clock.now = MONDAY_NOON + timedelta(hours=24)
    name = f"ci:{bot.rows()[0].id}"
    assert len(bot.coach.fire(name)) == 1
    assert bot.coach.fire(name) == []


def test_stop_cancels_pending_check_ins(bot: Bot) -> None:
    opted_in(bot)
    bot.finish_session()
    replies = press(bot.coach, "ci:stop")
    assert "off" in texts(replies)
    assert {r.status for r in bot.rows()} == {"cancelled"}
    assert not [n for n in bot.scheduler.timers if n != "ci:sweep"]
    assert bot.finish_session(session_id=2) == [] and len(bot.rows()) == 2


# ---------------------------------------------------------------------------- quiet hours, time zones


def test_quiet_hours_move_a_check_in_to_their_end(bot: Bot) -> None:
    press(bot.coach, "ci:optin")  # no time zone: UTC
    bot.finish_session(at=datetime(2026, 3, 1, 23, 30, tzinfo=UTC))  # 24 h later is 23:30
    first = bot.rows()[0]
    assert first.base_at == datetime(2026, 3, 2, 23, 30, tzinfo=UTC)
    assert first.due_at == datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
    say(bot.coach, "/timezone -5")  # 23:30 UTC is 18:30 in UTC-5: no longer quiet
    assert bot.rows()[0].due_at == datetime(2026, 3, 2, 23, 30, tzinfo=UTC)
    assert bot.scheduler.timers.get(f"ci:{first.id}") is None  # beyond the horizon: the sweep brings it
    [ping] = bot.run_until(datetime(2026, 3, 2, 23, 30, tzinfo=UTC))
    assert "How sore" in ping.reply.text


def test_custom_quiet_hours(bot: Bot) -> None:
    press(bot.coach, "ci:optin")
    assert "23:00-07:00" in texts(say(bot.coach, "/checkins quiet 23:00-07:00"))
    bot.finish_session(at=datetime(2026, 3, 1, 22, 30, tzinfo=UTC))
    assert bot.rows()[0].due_at == datetime(2026, 3, 2, 22, 30, tzinfo=UTC)
    assert "24-hour clock" in texts(say(bot.coach, "/checkins quiet late-early"))


def test_daylight_saving_change_keeps_eight_oclock_local(bot: Bot) -> None:
    """Europe/Berlin springs forward on Sunday 29 March 2026 at 02:00 (CET +1 -> CEST +2)."""
    opted_in(bot, "Berlin")
    bot.clock.now = datetime(2026, 3, 27, 0, 30, tzinfo=UTC)
    bot.finish_session(at=bot.clock.now)  # 01:30 CET on Friday
    h24, h48 = bot.rows()
    assert h24.due_at == datetime(2026, 3, 28, 7, 0, tzinfo=UTC)  # 08:00 CET
    assert h48.due_at == datetime(2026, 3, 29, 6, 0, tzinfo=UTC)  # 08:00 CEST, not 09:00
    pings = bot.run_until(datetime(2026, 3, 29, 12, 0, tzinfo=UTC))
    assert len(pings) == 2
    assert bot.rows()[1].sent_at == datetime(2026, 3, 29, 6, 0, tzinfo=UTC)


def test_offsets_are_elapsed_hours_across_the_change(bot: Bot) -> None:
    opted_in(bot, "Europe/Berlin")
    bot.clock.now = datetime(2026, 3, 28, 20, 30, tzinfo=UTC)  # 21:30 CET Saturday
    bot.finish_session()
    h24 = bot.rows()[0]
    # 24 h later it is 22:30 CEST (an hour "later" on the wall clock): quiet, so Monday 08:00 CEST.
    assert h24.base_at == datetime(2026, 3, 29, 20, 30, tzinfo=UTC)
    assert h24.due_at == datetime(2026, 3, 30, 6, 0, tzinfo=UTC)


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


def test_unknown_time_zone_is_refused_and_nothing_changes(bot: Bot) -> None:
    say(bot.coach, "/timezone Berlin")
    replies = say(bot.coach, "/timezone Mars/Olympus")
    assert "don't know the time zone" in texts(replies) and "Mars/Olympus" in texts(replies)
    assert bot.store.settings(USER).tz == "Europe/Berlin"
    prompt = say(bot.coach, "/timezone")
    assert "Berlin" in [b.label for r in prompt for row in r.buttons for b in row]
    assert "Europe/London" in texts(press(bot.coach, "ci:tz:Europe/London"))
    assert bot.store.settings(USER).tz == "Europe/London"


# ---------------------------------------------------------------------------- snooze, missed windows


def test_snooze_asks_again_in_two_hours_and_respects_quiet_hours(bot: Bot) -> None:
    opted_in(bot, "UTC")
    bot.finish_session()
    [ping] = bot.run_until(MONDAY_NOON + timedelta(hours=24))
    snooze = next(b.data for row in ping.reply.buttons for b in row if "Snooze" in b.label)
    assert "I'll ask again" in texts(press(bot.coach, snooze))
    assert bot.rows()[0].status == "pending"
    assert bot.run_until(MONDAY_NOON + timedelta(hours=25)) == []
    [again] = bot.run_until(MONDAY_NOON + timedelta(hours=26))
    assert again.reply.text == ping.reply.text
    press(bot.coach, snooze)
    twice = press(bot.coach, snooze)  # pressed again: already snoozed, same time
    assert "Tue 03 Mar 16:00" in texts(twice) and bot.rows()[0].snoozes == 2
    bot.run_until(MONDAY_NOON + timedelta(hours=34, minutes=30))  # asked at 16:00, now 22:30 UTC
    assert bot.rows()[0].status == "sent"
    press(bot.coach, snooze)
    assert bot.rows()[0].due_at == datetime(2026, 3, 4, 8, 0, tzinfo=UTC)  # after 08:00, not 00:30


def test_snooze_limit(bot: Bot) -> None:
    opted_in(bot, "UTC")
    bot.finish_session()
    [ping] = bot.run_until(MONDAY_NOON + timedelta(hours=24))
    snooze = next(b.data for row in ping.reply.buttons for b in row if "Snooze" in b.label)
    for _ in range(3):
        press(bot.coach, snooze)
        bot.run_until(bot.clock.now + timedelta(hours=2))
    assert "can't snooze" in texts(press(bot.coach, snooze))
    assert bot.rows()[0].snoozes == 3


def test_restart_sends_late_check_ins_within_grace_and_marks_older_ones_missed(tmp_path: Path) -> None:
    clock = FakeClock(MONDAY_NOON)
    first = Bot(tmp_path, clock)
    opted_in(first, "UTC")
    first.finish_session(session_id=1, at=MONDAY_NOON - timedelta(hours=20))  # h24 due Mon 16:00
    first.finish_session(session_id=2)  # h24 due Tue 12:00
    first.close()  # the bot is down from here

    clock.now = MONDAY_NOON + timedelta(hours=8)  # 20:00: session 1's h24 is 4 h late (grace 6 h)
    second = Bot(tmp_path, clock)
    late = [n for n in second.scheduler.due(clock.now) if n != "ci:sweep"]
    assert len(late) == 1
    [ping] = second.coach.fire(late[0])
    assert "How sore" in ping.reply.text
    second.close()

    clock.now = MONDAY_NOON + timedelta(hours=24 + 7)  # Tue 19:00: session 2's h24 is 7 h late
    third = Bot(tmp_path, clock)
    rows = {(r.session_id, r.kind): r for r in third.rows()}
    assert {key: r.status for key, r in rows.items()} == {
        (1, "h24"): "missed",  # sent, then unanswered for the whole 20-hour window
        (1, "h48"): "pending",  # 3 h late: within grace, a job at once
        (2, "h24"): "missed",  # 7 h late: more than the 6-hour grace, never sent
        (2, "h48"): "pending",  # tomorrow: beyond the horizon, the sweep brings it in
    }
    assert [n for n in third.scheduler.timers if n != "ci:sweep"] == [f"ci:{rows[1, 'h48'].id}"]
    assert len(third.run_until(clock.now)) == 1
    assert third.run_until(clock.now + timedelta(minutes=1)) == []


def test_grace_is_configurable(tmp_path: Path) -> None:
    clock = FakeClock(MONDAY_NOON)
    first = Bot(tmp_path, clock)
    opted_in(first, "UTC")
    first.finish_session()
    first.close()
    clock.now = MONDAY_NOON + timedelta(hours=24, minutes=90)
    short = Bot(tmp_path, clock, checkin_grace_hours=1.0)
    assert short.rows()[0].status == "missed"


def test_press_on_an_expired_check_in(bot: Bot) -> None:
    opted_in(bot, "UTC")
    bot.finish_session()
    [ping] = bot.run_until(MONDAY_NOON + timedelta(hours=24))
    bot.clock.advance(hours=21)  # longer than the 20-hour answer window
    assert "expired" in texts(press(bot.coach, score_data(ping, 4)))
    assert bot.rows()[0].status == "missed"
    assert latest_soreness(bot.coach.store, USER, bot.clock.now) is None
    assert "expired" in texts(press(bot.coach, "ci:s:99999:4"))  # a check-in that does not exist
    assert "expired" in texts(press(bot.coach, score_data(ping, 4), user=USER + 1))  # someone else's


# ---------------------------------------------------------------------------- answers and bad input


def test_a_second_press_corrects_the_score_without_a_second_row(bot: Bot) -> None:
    opted_in(bot, "UTC")
    bot.finish_session()
    [ping] = bot.run_until(MONDAY_NOON + timedelta(hours=24))
    press(bot.coach, score_data(ping, 3))
    assert "changed your score to 7/10" in texts(press(bot.coach, score_data(ping, 7)))
    assert bot.coach.store.count("soreness") == 1
    assert latest_soreness(bot.coach.store, USER, bot.clock.now) == 7


def test_bad_input_while_a_check_in_waits(bot: Bot) -> None:
    opted_in(bot, "UTC")
    bot.finish_session()
    assert len(bot.run_until(MONDAY_NOON + timedelta(hours=24))) == 1
    for typed in ("11", "12/10", "-3", "7/5"):
        assert "whole number from 0 to 10" in texts(say(bot.coach, typed)), typed
    not_score = say(bot.coach, "banana")
    assert "waiting for a soreness score" in texts(not_score) and not_score[0].buttons
    question = say(bot.coach, "what is DOMS?")  # a question still gets its answer
    assert "delayed onset" in texts(question).lower()
    assert "no longer does anything" in texts(press(bot.coach, "ci:s:abc:3"))
    assert "no longer does anything" in texts(press(bot.coach, "ci:s:1:11"))
    assert "no longer does anything" in texts(press(bot.coach, "ci:whatever"))
    assert bot.coach.store.count("soreness") == 0 and bot.rows()[0].status == "sent"
    assert "7/10" in texts(say(bot.coach, "about seven out of ten"))


def test_numbers_are_not_scores_when_nothing_waits(bot: Bot) -> None:
    opted_in(bot, "UTC")
    bot.finish_session()
    replies = say(bot.coach, "7")  # nothing sent yet: the Q&A answers instead
    assert "waiting for a soreness score" not in texts(replies)
    assert bot.coach.store.count("soreness") == 0


@pytest.mark.parametrize(
    ("typed", "kind", "score"),
    [
        ("7", "score", 7),
        ("7/10", "score", 7),
        ("7 / 10", "score", 7),
        ("seven", "score", 7),
        ("Seven!", "score", 7),
        ("about 6.5", "score", 7),
        ("0", "score", 0),
        ("none", "score", 0),
        ("ten out of ten", "score", 10),
        ("it's a 3", "score", 3),
        ("11", "out_of_range", None),
        ("-1", "out_of_range", None),
        ("3/5", "out_of_range", None),
        ("1e309", "not_a_score", None),
        ("7-8", "not_a_score", None),
        ("pretty sore", "not_a_score", None),
        ("", "not_a_score", None),
    ],
)
def test_parse_score(typed: str, kind: str, score: int | None) -> None:
    reading = parse_score(typed)
    assert (reading.kind, reading.score) == (kind, score)


@given(st.text(max_size=300))
def test_parse_score_never_fails_and_stays_in_range(text: str) -> None:
    reading = parse_score(text)
    assert reading.kind in ("score", "out_of_range", "not_a_score")
    assert (reading.score is not None) == (reading.kind == "score")
    if reading.score is not None:
        assert 0 <= reading.score <= 10


@given(st.integers(0, 10), st.sampled_from(["{}", "{}/10", "{} out of 10", " {} "]))
def test_every_score_form_reads_back(n: int, form: str) -> None:
    assert parse_score(form.format(n)).score == n


# ---------------------------------------------------------------------------- red flags and rest


def test_red_flag_in_a_reply_gives_the_safety_message_and_holds_the_next_session(bot: Bot) -> None:
    opted_in(bot, "UTC")
    bot.finish_session()
    bot.run_until(MONDAY_NOON + timedelta(hours=24))
    replies = say(bot.coach, "it's bruised and I can't walk properly")
    assert "Stop and see a clinician" in texts(replies)
    assert "on hold" in texts(replies)
    assert held(bot.coach.store, USER)
    assert bot.rows()[0].status == "sent"  # still waiting for a score
    assert "on hold" in texts(say(bot.coach, "/checkins"))
    assert "no longer on hold" in texts(press(bot.coach, "ci:fine"))
    assert not held(bot.coach.store, USER)
    assert "Nothing is on hold" in texts(press(bot.coach, "ci:fine"))


def test_a_check_in_hold_blocks_the_session_until_the_user_says_they_were_cleared(bot: Bot) -> None:
    opted_in(bot, "UTC")
    bot.finish_session()
    bot.run_until(MONDAY_NOON + timedelta(hours=24))
    say(bot.coach, "my pee is dark brown")
    hold = say(bot.coach, "/session")
    assert "on hold" in texts(hold) and "warning sign" in texts(hold)
    cleared = next(b.data for r in hold for row in r.buttons for b in row if "cleared" in b.label)
    started = press(bot.coach, cleared)
    assert "Safety first" in texts(started)
    assert not held(bot.coach.store, USER), "the check-in hold is lifted too, not only the session's"


def test_red_flag_without_check_ins_is_left_to_the_q_and_a(bot: Bot) -> None:
    replies = say(bot.coach, "I have sharp pain in my hamstring")
    assert "clinician" in texts(replies)
    assert not held(bot.coach.store, USER)


def test_two_scores_of_8_or_more_suggest_rest_and_a_lighter_session(bot: Bot) -> None:
    opted_in(bot, "UTC")
    bot.finish_session()
    [ping] = bot.run_until(MONDAY_NOON + timedelta(hours=24))
    first = texts(press(bot.coach, score_data(ping, 8)))
    assert "very sore" in first and "two very sore" not in first
    [ping48] = bot.run_until(MONDAY_NOON + timedelta(hours=48))
    second = texts(press(bot.coach, score_data(ping48, 9)))
    assert "two very sore check-ins in a row" in second and "lighter" in second


# ---------------------------------------------------------------------------- /forget, /checkins


def test_forget_asks_first_then_deletes_everything_and_cancels_jobs(bot: Bot) -> None:
    opted_in(bot, "UTC")
    say(bot.coach, "what is DOMS?")
    bot.finish_session()
    bot.run_until(MONDAY_NOON + timedelta(hours=24))
    say(bot.coach, "5")
    bot.clock.advance(minutes=10)
    bot.finish_session(session_id=2)
    assert [n for n in bot.scheduler.timers if n != "ci:sweep"] == []  # h24 is a day away
    bot.run_until(MONDAY_NOON + timedelta(hours=48))  # h48 of session 1 is sent...
    bot.clock.advance(hours=23, minutes=30)
    bot.run_until(bot.clock.now)  # ...and session 2's h24 is now a job (within the horizon)
    assert any(n != "ci:sweep" for n in bot.scheduler.timers)

    confirm = say(bot.coach, "/forget")
    assert "cannot be undone" in texts(confirm)
    assert "nothing was deleted" in texts(press(bot.coach, "forget:no"))
    assert bot.rows()
    assert "deleted your data" in texts(press(bot.coach, "forget:yes"))
    db = bot.coach.store.db
    for table in ("checkins", "soreness", "user_settings", "users", "questions"):
        assert db.table(table).count_where("user_id = ?", [USER]) == 0, table
    assert [n for n in bot.scheduler.timers if n != "ci:sweep"] == []
    assert bot.run_until(MONDAY_NOON + timedelta(days=6)) == []


def test_checkins_lists_what_is_coming_in_local_time(bot: Bot) -> None:
    opted_in(bot, "Europe/Berlin")
    bot.finish_session()
    listing = texts(say(bot.coach, "/checkins"))
    assert "Tue 03 Mar 13:00" in listing and "Wed 04 Mar 13:00" in listing
    assert "Europe/Berlin" in listing
    assert "off" in texts(say(bot.coach, "/checkins off"))
    assert "Check-ins are off" in texts(say(bot.coach, "/checkins"))
    assert "Done" in texts(say(bot.coach, "/checkins on"))


def test_bad_session_event_data_is_ignored(bot: Bot) -> None:
    opted_in(bot)
    assert bot.coach.emit("session_finished", USER, {"session_id": "x", "finished_at": "now"}) == []
    assert bot.coach.emit("session_finished", USER, {"session_id": 3, "finished_at": "yesterday"}) == []
    assert bot.rows() == []


def test_terminal_chat_shows_a_check_in_when_due(tmp_path: Path) -> None:
    from bot.adapters.terminal import TERMINAL_USER, Terminal, TerminalScheduler

    clock = FakeClock(MONDAY_NOON)
    scheduler = TerminalScheduler()
    coach = build_coach(make_config(tmp_path), clock=clock, scheduler=scheduler)
    for due in coach.pending_timers():
        scheduler.schedule(due.name, due.when)
    out = io.StringIO()
    term = Terminal(coach, out)
    term.show(press(coach, "ci:optin", user=TERMINAL_USER))
    coach.emit("session_finished", TERMINAL_USER, {"session_id": 1, "finished_at": clock.now.isoformat()})
    for _ in range(24 * 4 + 1):  # the terminal loop, a quarter of an hour at a time
        clock.advance(minutes=15)
        term.fire_due(scheduler)
    assert "How sore are your hamstrings" in out.getvalue()
    term.show(coach.handle(term.to_incoming("6")))  # the button labelled "6"
    assert "6/10" in out.getvalue()


# ---------------------------------------------------------------------------- checkins.yaml


def broken_copy(tmp_path: Path, old: str, new: str) -> Path:
    folder = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_DIR, folder)
    path = folder / "checkins.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return folder


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("      min: 4\n", "      min: 5\n", "without advice: 4"),
        ("      max: 6\n", "      max: 7\n", "overlap at scores: 7"),
        ('start: "22:00"', "start: 22:00", "quoted 24-hour time"),
        (
            "    - id: h48\n      offset_hours: 48",
            "    - id: h48\n      offset_hours: 12",
            "offsets must grow",
        ),
        ("{checkin: h48, min_score: 4}", "{checkin: h96, min_score: 4}", "earlier check-in"),
        ("  snooze_hours: 2", "  snooze_hours: 2\n  snooze_hour: 2", "unknown field 'snooze_hour'"),
        ("source: [cheung-2003]", "source: [cheung-2004]", "unknown source 'cheung-2004'"),
        ("UTC]", "Mars/Olympus]", "not a time zone name"),
        ('    button_stop: "Stop check-ins"\n', "", "missing text 'button_stop'"),
    ],
)
def test_checkins_yaml_errors_name_file_and_line(tmp_path: Path, old: str, new: str, message: str) -> None:
    folder = broken_copy(tmp_path, old, new)
    with pytest.raises(KnowledgeError) as caught:
        load_checkins(folder, {"cheung-2003", "oslo-protocol", "general-safety"})
    problems = [str(p) for p in caught.value.problems]
    assert any(message in p and "checkins.yaml:" in p for p in problems), problems


def test_hamcoach_check_validates_checkins_yaml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from bot.__main__ import main

    folder = broken_copy(tmp_path, "      max: 6\n", "      max: 7\n")
    assert main(["check", str(folder)]) == 1
    assert "checkins.yaml:" in capsys.readouterr().err
    assert main(["check", str(DEFAULT_DIR)]) == 0


def test_a_crowd_due_at_once_is_fed_to_the_job_queue_in_batches(tmp_path: Path) -> None:
    clock = FakeClock(MONDAY_NOON)
    first = Bot(tmp_path, clock)
    eight = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)  # everyone's quiet hours end at once
    for user in range(2500):
        first.store.add(
            user_id=user,
            chat_id=user,
            session_id=1,
            kind="h24",
            offset_hours=24.0,
            finished_at=eight - timedelta(hours=24),
            base_at=eight,
            due_at=eight,
            now=clock.now,
        )
    first.close()
    clock.now = eight - timedelta(minutes=30)
    second = Bot(tmp_path, clock)
    assert len(second.scheduler.timers) == 1000 + 1  # at most MAX_JOBS jobs, plus the sweep
    sent = second.run_until(eight + timedelta(minutes=5))
    assert sorted(o.chat_id for o in sent) == list(range(2500))
    assert second.coach.store.status()["pending_checkins"] == 0
