"""The check-in feature's side of `coach.local_time`: a user's time zone and quiet hours, and their
soreness scores, so reminders and the progress chart read them without importing this package.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, tzinfo

from bot.checkins.local_time import due_time, quiet_window
from bot.checkins.plan import CheckinPlan
from bot.checkins.store import CheckinStore
from bot.checkins.timezones import zone
from bot.core.training import Soreness
from bot.storage.database import parse_stamp


@dataclass(frozen=True)
class CheckinLocalTime:
    """The core's LocalTime, read from `user_settings` and `soreness`."""

    store: CheckinStore
    plan: CheckinPlan

    def zone(self, user_id: int) -> tzinfo:
        return zone(self.store.settings(user_id).tz)

    def quiet_hours(self, user_id: int) -> tuple[time, time]:
        return quiet_window(self.plan, self.store.settings(user_id))

    def after_quiet(self, user_id: int, when: datetime) -> datetime:
        return due_time(self.plan, when, self.store.settings(user_id))

    def soreness(self, user_id: int) -> list[Soreness]:
        rows = self.store.db.execute(
            "select s.recorded_at, s.score, s.session_id, coalesce(c.red_flag, 0) from soreness s"
            " left join checkins c on c.id = s.checkin_id where s.user_id = ? order by s.recorded_at, s.id",
            [user_id],
        ).fetchall()
        return [Soreness(parse_stamp(r[0]), int(r[1]), r[2], bool(r[3])) for r in rows]
