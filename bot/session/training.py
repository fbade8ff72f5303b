"""The session feature's side of `coach.training`: the next session as the protocol plans it and the
sessions done, for reminders, the progress chart and the export, which never import this package.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.coach import Incoming
from bot.core.reply import Reply
from bot.core.training import SessionLog, SetLog, Upcoming
from bot.session.progression import MAINTENANCE, Plan, session_in_week, week_of
from bot.session.service import SessionService


def dose(plan: Plan) -> str:
    """How the protocol writes the week's dose ("3 sets of 6-8"), or the adjusted sets when planning
    made the session lighter."""
    week = plan.week
    if plan.targets == week.targets:
        return week.label.removesuffix(", once a week")
    return f"{plan.sets} sets of up to {plan.target_text}"


@dataclass(frozen=True)
class SessionTraining:
    """The core's Training, read from the session rows."""

    service: SessionService

    def upcoming(self, user_id: int) -> Upcoming:
        plan = self.service.plan_for(user_id)
        index, of = session_in_week(plan.position)
        past = self.service.store.past(user_id)
        last = max((p.finished_at for p in past), default=None)
        week = plan.week
        number = MAINTENANCE.number if week is MAINTENANCE else week.number
        running = self.service.store.running(user_id) is not None
        return Upcoming(number, index, of, dose(plan), plan.kind, last, running)

    def sessions(self, user_id: int) -> list[SessionLog]:
        out = []
        for row, sets in self.service.store.all_of(user_id):
            targets = row.plan.targets
            logs = tuple(
                SetLog(n, reps, targets[n - 1] if 0 < n <= len(targets) else 0, at) for n, reps, at in sets
            )
            week = week_of(row.plan.position)
            out.append(
                SessionLog(
                    row.id,
                    row.started_at,
                    row.finished_at,
                    row.status,
                    week.number,
                    week.sessions,
                    row.stop_reason,
                    logs,
                )
            )
        return out

    def begin(self, msg: Incoming) -> list[Reply]:
        return self.service.begin(msg)
