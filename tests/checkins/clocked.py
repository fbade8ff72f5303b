"""A coach with a FakeClock and recorded timers, run like the adapters run them, for the check-in tests.
Timers run by moving the clock, never by sleeping.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.app import build_coach
from bot.checkins.store import CheckinStore
from bot.core.coach import Coach, Outgoing
from bot.core.reply import Reply
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
        return [out for _when, out in self.fire_until(until)]

    def fire_until(self, until: datetime) -> list[tuple[datetime, Outgoing]]:
        """`run_until`, each message with the time it was sent."""
        sent: list[tuple[datetime, Outgoing]] = []
        while True:
            pending = [w for w in self.scheduler.timers.values() if w <= until]
            if not pending:
                break
            self.clock.now = max(self.clock.now, min(pending))
            for name in self.scheduler.due(self.clock.now):
                sent += [(self.clock.now, out) for out in self.coach.fire(name)]
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


def opted_in(bot: Bot, tz: str = "Europe/Berlin") -> None:
    press(bot.coach, "ci:optin")
    say(bot.coach, f"/timezone {tz}")


def texts(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies)


def score_data(out: Outgoing, score: int) -> str:
    return next(b.data for row in out.reply.buttons for b in row if b.label == str(score))
