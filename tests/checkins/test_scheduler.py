"""Which check-ins become jobs and when they fire: the 24/48/72-hour series, quiet hours and
daylight saving, repeated events and timers, restarts within and beyond the grace, crowds.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.checkins.readiness import latest_soreness
from tests.checkins.clocked import MONDAY_NOON, Bot, opted_in, score_data, texts
from tests.support import USER, FakeClock, press, say


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


def test_repeated_event_and_repeated_timer_send_once(bot: Bot) -> None:
    opted_in(bot)
    bot.finish_session()
    bot.finish_session()
    assert len(bot.rows()) == 2
    bot.clock.now = MONDAY_NOON + timedelta(hours=24)
    name = f"ci:{bot.rows()[0].id}"
    assert len(bot.coach.fire(name)) == 1
    assert bot.coach.fire(name) == []


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


def test_restart_sends_late_check_ins_within_grace_and_marks_older_ones_missed(tmp_path: Path) -> None:
    clock = FakeClock(MONDAY_NOON)
    first = Bot(tmp_path, clock)
    opted_in(first, "UTC")
    first.finish_session(session_id=1, at=MONDAY_NOON - timedelta(hours=20))  # h24 due Mon 16:00
    first.finish_session(session_id=2)  # h24 due Tue 12:00
    first.close()  # the bot is down from here

    clock.now = MONDAY_NOON + timedelta(hours=8)  # 20:00: session 1's h24 is 4 h late (grace 6 h)
    second = Bot(tmp_path, clock)
    late = [n for n in second.scheduler.due(clock.now) if n.startswith("ci:") and n != "ci:sweep"]
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
    assert [n for n in third.scheduler.timers if n.startswith("ci:") and n != "ci:sweep"] == [
        f"ci:{rows[1, 'h48'].id}"
    ]
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
    assert len([n for n in second.scheduler.timers if n.startswith("ci:")]) == 1000 + 1  # MAX_JOBS, sweep
    sent = second.run_until(eight + timedelta(minutes=5))
    assert sorted(o.chat_id for o in sent) == list(range(2500))
    assert second.coach.store.status()["pending_checkins"] == 0
