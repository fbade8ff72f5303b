"""`hamcoach chat` on the bot's own database runs only the terminal user's timers (issue 13, defect 3):
another user's due check-in and rest stay pending for the bot to deliver."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

from bot.adapters.terminal import TERMINAL_USER, chat
from bot.app import build_coach
from bot.checkins.store import CheckinStore
from bot.reminders.store import ReminderStore
from tests.checkins.clocked import MONDAY_NOON
from tests.session.test_feature import to_sets
from tests.support import FakeClock, RecordingScheduler, button_data, make_config, press

OTHER = 5000


def due_checkin(store: CheckinStore, user: int, session_id: int) -> int:
    due = MONDAY_NOON - timedelta(minutes=1)
    new = store.add(
        user_id=user,
        chat_id=user,
        session_id=session_id,
        kind="h24",
        offset_hours=24,
        finished_at=due - timedelta(hours=24),
        base_at=due,
        due_at=due,
        now=due - timedelta(hours=24),
    )
    assert new is not None
    return new


def test_the_terminal_leaves_other_users_timers_alone(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    earlier = FakeClock(MONDAY_NOON - timedelta(minutes=10))
    coach = build_coach(config, clock=earlier, scheduler=RecordingScheduler())
    press(coach, button_data(to_sets(coach, OTHER), "2"), OTHER)  # a rest, over by noon
    store = CheckinStore(coach.store.db)
    theirs, mine = due_checkin(store, OTHER, 71), due_checkin(store, TERMINAL_USER, 72)
    due = MONDAY_NOON - timedelta(minutes=1)
    ping = ReminderStore(coach.store.db).add(OTHER, OTHER, "2026-03-02T11:59", due, earlier())
    coach.store.close()

    out = io.StringIO()
    assert chat(config, io.StringIO("/help\n"), out, clock=FakeClock(MONDAY_NOON)) == 0

    coach = build_coach(config, clock=FakeClock(MONDAY_NOON), scheduler=RecordingScheduler())
    store = CheckinStore(coach.store.db)
    other = store.get(theirs)
    assert other is not None and other.status == "pending", "another user's check-in was taken"
    rests = coach.store.db.execute("select status from rests where user_id = ?", [OTHER]).fetchall()
    assert [r[0] for r in rests] == ["pending"], "another user's rest was ended"
    reminder = ReminderStore(coach.store.db).get(ping or 0)
    assert reminder is not None and reminder.status == "pending", "another user's reminder was taken"
    own = store.get(mine)
    assert own is not None and own.status == "sent"
    assert "How sore" in out.getvalue(), "the terminal user's own check-in is asked"
    assert "Rest is over" not in out.getvalue()
    coach.store.close()
