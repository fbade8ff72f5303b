"""coach.readiness as the session feature sees it: recent soreness, the red-flag hold, and rest advice."""

from __future__ import annotations

from pathlib import Path

from bot.checkins.readiness import CheckinReadiness, needs_rest
from bot.checkins.store import CheckinStore
from tests.checkins.clocked import MONDAY_NOON
from tests.support import USER, FakeClock, make_coach


def test_readiness_reads_recent_scores_and_the_hold_from_the_rows(tmp_path: Path) -> None:
    clock = FakeClock(MONDAY_NOON)
    coach = make_coach(tmp_path, clock)
    assert isinstance(coach.readiness, CheckinReadiness)
    store = CheckinStore(coach.store.db)
    assert coach.readiness.soreness(USER) is None and not coach.readiness.held(USER)
    for session, score in ((1, 9), (2, 8)):
        checkin_id = store.add(
            user_id=USER,
            chat_id=USER,
            session_id=session,
            kind="h24",
            offset_hours=24.0,
            finished_at=clock.now,
            base_at=clock.now,
            due_at=clock.now,
            now=clock.now,
        )
        assert checkin_id is not None
        row = store.get(checkin_id)
        assert row is not None
        store.answer(row, score, clock.now)
        clock.advance(hours=1)
    assert coach.readiness.soreness(USER) == 8
    assert needs_rest(coach.store, USER, 8, clock.now) and not needs_rest(coach.store, USER, 9, clock.now)
    store.update_settings(USER, clock.now, held_since=clock.now)
    assert coach.readiness.held(USER)
    clock.advance(days=8)  # older than a week: says nothing about today
    assert coach.readiness.soreness(USER) is None and not needs_rest(coach.store, USER, 8, clock.now)
    coach.store.close()
