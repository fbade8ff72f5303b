"""The feature wired into the coach: /checkins and /forget through the core, a malformed
session event, and a check-in shown in the terminal chat.
"""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

from bot.app import build_coach
from tests.checkins.clocked import MONDAY_NOON, Bot, opted_in, texts
from tests.support import USER, FakeClock, make_config, press, say


def test_forget_asks_first_then_deletes_everything_and_cancels_jobs(bot: Bot) -> None:
    opted_in(bot, "UTC")
    say(bot.coach, "what is DOMS?")
    bot.finish_session()
    bot.run_until(MONDAY_NOON + timedelta(hours=24))
    say(bot.coach, "5")
    bot.clock.advance(minutes=10)
    bot.finish_session(session_id=2)
    assert [
        n for n in bot.scheduler.timers if n.startswith("ci:") and n != "ci:sweep"
    ] == []  # h24 is a day away
    bot.run_until(MONDAY_NOON + timedelta(hours=48))  # h48 of session 1 is sent...
    bot.clock.advance(hours=23, minutes=30)
    bot.run_until(bot.clock.now)  # ...and session 2's h24 is now a job (within the horizon)
    assert any(n.startswith("ci:") and n != "ci:sweep" for n in bot.scheduler.timers)

    confirm = say(bot.coach, "/forget")
    assert "cannot be undone" in texts(confirm)
    assert "nothing was deleted" in texts(press(bot.coach, "forget:no"))
    assert bot.rows()
    assert "deleted your data" in texts(press(bot.coach, "forget:yes"))
    db = bot.coach.store.db
    for table in ("checkins", "soreness", "user_settings", "users", "questions"):
        assert db.table(table).count_where("user_id = ?", [USER]) == 0, table
    assert [n for n in bot.scheduler.timers if n.startswith("ci:") and n != "ci:sweep"] == []
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
