"""What features may ask of another feature's training records, without importing it.

The session feature provides `Training` (the next session and the sessions done), the check-in feature
`LocalTime` (a user's time zone and quiet hours) and the soreness history; reminders, the progress chart
and the export read them through `coach.training` and `coach.local_time`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, tzinfo
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from bot.core.coach import Incoming
    from bot.core.reply import Reply


@dataclass(frozen=True)
class Upcoming:
    """The next session as the protocol plans it: "Session 2 of week 3: 3 sets of 6-8"."""

    week: int  # 1-10, 11 for maintenance
    index: int  # the session's place in its week, from 1
    per_week: int  # sessions a week the protocol asks for that week
    dose: str  # "3 sets of 6-8"
    kind: str  # progression's kind: first, progress, repeat, lighter, rest, hold, back, maintain
    last_finished: datetime | None  # the latest finished session (UTC), None before the first
    running: bool  # a session is going or paused now


@dataclass(frozen=True)
class SetLog:
    set_no: int
    reps: int
    target: int
    logged_at: datetime


@dataclass(frozen=True)
class SessionLog:
    """One session as the chart and the export see it."""

    id: int
    started_at: datetime
    finished_at: datetime | None
    status: str  # finished, cancelled, active, paused
    week: int
    per_week: int  # sessions a week the protocol asks for in that week
    stop_reason: str  # "pain" marks a red-flag hold
    sets: tuple[SetLog, ...]

    @property
    def reps(self) -> int:
        return sum(s.reps for s in self.sets)

    @property
    def target(self) -> int:
        return sum(s.target for s in self.sets)


@dataclass(frozen=True)
class Soreness:
    recorded_at: datetime
    score: int
    session_id: int | None
    red_flag: bool = False


class Training(Protocol):
    """The session feature's records, for reminders, the chart and the export."""

    def upcoming(self, user_id: int) -> Upcoming:
        """The next session (database reads: call it on the loop)."""
        ...

    def sessions(self, user_id: int) -> list[SessionLog]:
        """Every session of the user, oldest first, with its sets and their targets."""
        ...

    def begin(self, msg: Incoming) -> list[Reply]:
        """Start the next session, as /session does."""
        ...


class LocalTime(Protocol):
    """A user's clock (the check-in feature keeps the time zone and quiet hours)."""

    def zone(self, user_id: int) -> tzinfo: ...

    def quiet_hours(self, user_id: int) -> tuple[time, time]: ...

    def after_quiet(self, user_id: int, when: datetime) -> datetime:
        """`when` moved past the user's quiet hours (local wall clock, daylight saving included), UTC."""
        ...

    def soreness(self, user_id: int) -> list[Soreness]:
        """Every soreness score, oldest first."""
        ...


class NoTraining:
    """Where no session feature runs: always the first session, nothing done."""

    def upcoming(self, user_id: int) -> Upcoming:
        return Upcoming(1, 1, 1, "", "first", None, False)

    def sessions(self, user_id: int) -> list[SessionLog]:
        return []

    def begin(self, msg: Incoming) -> list[Reply]:
        return []


class UtcTime:
    """Where no feature keeps time zones: UTC and no quiet hours."""

    def zone(self, user_id: int) -> tzinfo:
        return UTC

    def quiet_hours(self, user_id: int) -> tuple[time, time]:
        return time(0, 0), time(0, 0)

    def after_quiet(self, user_id: int, when: datetime) -> datetime:
        return when.astimezone(UTC)

    def soreness(self, user_id: int) -> list[Soreness]:
        return []
