"""Check-in jobs derived from rows: the database is the truth, the adapter's job queue a window on it.

A check-in is a row before it is a job, a timer only sends what the row says is still pending, and only
check-ins due within `HORIZON` are jobs in memory; a sweep timer (`ci:sweep`) brings the next ones in,
so 100,000 future check-ins cost no memory and a restart rebuilds the jobs from the rows.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.checkins.local_time import due_time
from bot.checkins.plan import CheckinPlan, Step
from bot.checkins.store import CheckinRow, CheckinStore
from bot.checkins.views import PREFIX, question
from bot.core.coach import Coach, Due, Outgoing

log = logging.getLogger(__name__)

SWEEP = f"{PREFIX}:sweep"
HORIZON = timedelta(hours=1)  # check-ins due sooner than this are jobs in the adapter's queue
SWEEP_EVERY = timedelta(minutes=15)  # < HORIZON, so every check-in is a job well before it is due
MAX_JOBS = 1000  # jobs per sweep: the adapter's job queue stays small whatever the crowd
CROWD_RECHECK = timedelta(seconds=10)
TOO_EARLY = timedelta(seconds=1)


def timer_name(checkin_id: int) -> str:
    return f"{PREFIX}:{checkin_id}"


class CheckinScheduler:
    """Rows to jobs and due jobs to messages; `jobs` remembers what the adapter was asked to run."""

    def __init__(self, coach: Coach, plan: CheckinPlan, store: CheckinStore) -> None:
        self.coach = coach
        self.plan = plan
        self.store = store
        self.jobs: dict[str, datetime] = {}  # what we asked the adapter to run, so sweeps don't repeat it

    @property
    def grace(self) -> timedelta:
        """How late a check-in may still be sent (HAMCOACH_CHECKIN_GRACE_HOURS); later means missed."""
        return timedelta(hours=self.coach.config.checkin_grace_hours)

    def put_job(self, checkin_id: int, due: datetime, now: datetime) -> None:
        """A job for check-ins due within the horizon; later ones are brought in by the sweep."""
        name = timer_name(checkin_id)
        if due <= now + HORIZON:
            self.coach.scheduler.schedule(name, due)
            self.jobs[name] = due
        else:
            self.drop_job(checkin_id)

    def drop_job(self, checkin_id: int) -> None:
        self.coach.scheduler.cancel(timer_name(checkin_id))
        self.jobs.pop(timer_name(checkin_id), None)

    def move(self, checkin_id: int, base: datetime, due: datetime, now: datetime, *, snooze: bool) -> None:
        """A check-in pending again at a new time: the row first, then its job."""
        self.store.reschedule(checkin_id, base, due, snooze=snooze)
        self.put_job(checkin_id, due, now)

    def create(
        self, user_id: int, chat_id: int, session_id: int, finished_at: datetime, steps: tuple[Step, ...]
    ) -> list[int]:
        """Rows (then jobs) for `steps` of one session; steps already due are skipped, never sent late."""
        now = self.coach.clock()
        settings = self.store.settings(user_id)
        created = []
        for step in steps:
            base = finished_at + timedelta(hours=step.offset_hours)
            if base <= now:
                continue
            due = due_time(self.plan, base, settings)
            new_id = self.store.add(
                user_id=user_id,
                chat_id=chat_id,
                session_id=session_id,
                kind=step.id,
                offset_hours=step.offset_hours,
                finished_at=finished_at,
                base_at=base,
                due_at=due,
                now=now,
            )
            if new_id is not None:
                self.put_job(new_id, due, now)
                created.append(new_id)
        return created

    def due_jobs(self) -> list[Due]:
        """Stale pings are marked missed; the next ones (at most MAX_JOBS) are due as jobs.

        Less late than the grace means send now, more means missed: never a burst of stale pings after
        a long outage.
        """
        now, only = self.coach.clock(), self.coach.timer_user
        missed = self.store.miss_stale(now - self.grace, only)
        expired = self.store.expire_sent(now - self.plan.answer_window, only)
        if missed or expired:
            log.info("check-ins: %d missed while down, %d expired unanswered", missed, expired)
        rows = self.store.due_until(now + HORIZON, limit=MAX_JOBS, user_id=only)
        sweep = now + SWEEP_EVERY
        if len(rows) == MAX_JOBS:  # a crowd falls due (08:00 in one time zone): come back for the rest
            sweep = min(sweep, max(rows[-1][1], now + CROWD_RECHECK))
        return [*(Due(timer_name(i), when) for i, when in rows), Due(SWEEP, sweep)]

    def pending(self) -> list[Due]:
        """Start-up: the adapter schedules what this returns."""
        due = self.due_jobs()
        self.jobs = {d.name: d.when for d in due}
        return due

    def fire(self, name: str) -> list[Outgoing]:
        """A timer is due; the row decides. A repeated or late fire sends nothing twice."""
        self.jobs.pop(name, None)
        if name == SWEEP:
            self.sweep()
            return []
        try:
            checkin_id = int(name.split(":", 1)[1])
        except (IndexError, ValueError):
            log.warning("bad check-in timer name %r", name)
            return []
        row = self.store.get(checkin_id)
        if row is None or row.status != "pending" or not self.coach.runs_timers_of(row.user_id):
            return []
        return self.send(row)

    def sweep(self) -> None:
        """Bring the check-ins now within the horizon into the job queue, each once."""
        for due in self.due_jobs():
            if self.jobs.get(due.name) != due.when:
                self.coach.scheduler.schedule(due.name, due.when)
                self.jobs[due.name] = due.when

    def send(self, row: CheckinRow) -> list[Outgoing]:
        """The question for a pending row, unless it moved, is too late, was stopped or falls in the night."""
        now = self.coach.clock()
        if row.due_at > now + TOO_EARLY:  # moved (snooze, time zone) after this job was made
            self.put_job(row.id, row.due_at, now)
            return []
        if now - row.due_at > self.grace:
            self.store.set_status(row.id, "missed", only_from=("pending",))
            return []
        settings = self.store.settings(row.user_id)
        if settings.optin is False:
            self.store.set_status(row.id, "cancelled", only_from=("pending",))
            return []
        later = due_time(self.plan, now, settings)
        if later > now + TOO_EARLY:  # the time zone or quiet hours changed: never wake anyone
            self.move(row.id, row.base_at, later, now, snooze=False)
            return []
        if not self.store.claim_for_sending(row.id, now):
            return []
        for older in self.store.of_session(row.user_id, row.session_id):
            if older.id != row.id and older.status == "sent":
                self.store.set_status(older.id, "missed", only_from=("sent",))
        return [Outgoing(row.chat_id, question(self.plan, row))]
