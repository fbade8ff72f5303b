"""Reminders over the store: arming the next ping, firing it, and what a user does with one.

Rows first, jobs second, as check-ins do: a ping is a row before it is a job, only pings due within
`HORIZON` are jobs in memory, a sweep (`rm:sweep`) brings the next ones in, and a fire sends only what
the row (claimed pending -> sent in one UPDATE) says is still due. So 10,000 users with reminders cost
one indexed query at start-up, and a restart never sends a ping twice.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from bot.core.coach import Coach, Due, Incoming, Outgoing
from bot.core.reply import Reply
from bot.reminders import views
from bot.reminders.rules import ReminderRules
from bot.reminders.schedule import Rule, next_slot, slot_key
from bot.reminders.store import Ping, ReminderStore

log = logging.getLogger(__name__)

PREFIX = views.PREFIX
SWEEP = f"{PREFIX}:sweep"
HORIZON = timedelta(hours=1)
SWEEP_EVERY = timedelta(minutes=15)
MAX_JOBS = 1000
CROWD_RECHECK = timedelta(seconds=10)
TOO_EARLY = timedelta(seconds=1)
MAX_SKIPS = 16  # slots already used (sent, skipped) passed over when arming the next


def timer_name(ping_id: int) -> str:
    return f"{PREFIX}:{ping_id}"


class ReminderService:
    """State lives in SQLite; `jobs` remembers what the adapter was asked to run."""

    def __init__(self, coach: Coach, rules: ReminderRules, store: ReminderStore) -> None:
        self.coach = coach
        self.rules = rules
        self.store = store
        self.jobs: dict[str, datetime] = {}

    # ------------------------------------------------------------------ rows to jobs

    def put_job(self, ping_id: int, due: datetime, now: datetime) -> None:
        name = timer_name(ping_id)
        if due <= now + HORIZON:
            self.coach.scheduler.schedule(name, due)
            self.jobs[name] = due
        else:
            self.drop_job(ping_id)

    def drop_job(self, ping_id: int) -> None:
        self.coach.scheduler.cancel(timer_name(ping_id))
        self.jobs.pop(timer_name(ping_id), None)

    def due_of(self, user_id: int, rule_slot: datetime) -> datetime:
        """A slot's send time: the local moment, moved past the user's quiet hours, in UTC."""
        return self.coach.local_time.after_quiet(user_id, rule_slot.astimezone(UTC))

    def arm(self, user_id: int) -> Ping | None:
        """The user's next ping as a row (then a job), unless reminders are off or one is pending."""
        setting = self.store.setting(user_id)
        if setting is None or not setting.active:
            return None
        pending = self.store.next_pending(user_id)
        if pending is not None:
            return pending
        now = self.coach.clock()
        tz = self.coach.local_time.zone(user_id)
        start = now
        for _ in range(MAX_SKIPS):
            slot = next_slot(setting.rule, start, tz)
            start = slot
            if self.store.has_slot(user_id, slot_key(slot)):
                continue
            due = self.due_of(user_id, slot)
            ping_id = self.store.add(user_id, setting.chat_id, slot_key(slot), due, now)
            if ping_id is None:
                continue
            self.put_job(ping_id, due, now)
            return self.store.get(ping_id)
        return None

    def due_jobs(self) -> list[Due]:
        """Stale pings missed (their users armed again), unarmed users armed, the next jobs listed.
        `hamcoach chat` on the bot's database lists only its own user's pings: the rest are the bot's."""
        now = self.coach.clock()
        if self.coach.timer_user is None:
            stale = self.store.miss_stale(now - self.rules.grace)
            unarmed = self.store.unarmed(MAX_JOBS)
            for user_id in dict.fromkeys([*stale, *unarmed]):
                self.arm(user_id)
            if stale:
                log.info("reminders: %d missed while the bot was down; the next are scheduled", len(stale))
        rows = [r for r in self.store.due_until(now + HORIZON, MAX_JOBS) if self.runs(r[0])]
        sweep = now + SWEEP_EVERY
        if len(rows) == MAX_JOBS:
            sweep = min(sweep, max(rows[-1][1], now + CROWD_RECHECK))
        jobs = [Due(timer_name(i), when) for i, when in rows]
        return [*jobs, Due(SWEEP, sweep)] if self.store.any_active() else jobs  # no reminders, no sweep

    def ensure_sweep(self, now: datetime) -> None:
        """Reminders were turned on: the sweep runs (it lapses once nobody has them on)."""
        if SWEEP not in self.jobs:
            self.coach.scheduler.schedule(SWEEP, now + SWEEP_EVERY)
            self.jobs[SWEEP] = now + SWEEP_EVERY

    def pending(self) -> list[Due]:
        """Start-up: the adapter schedules what this returns."""
        due = self.due_jobs()
        self.jobs = {d.name: d.when for d in due}
        return due

    def sweep(self) -> None:
        for due in self.due_jobs():
            if self.jobs.get(due.name) != due.when:
                self.coach.scheduler.schedule(due.name, due.when)
                self.jobs[due.name] = due.when

    def fire(self, name: str) -> list[Outgoing]:
        """A timer is due; the row decides. A repeated or late fire sends nothing twice."""
        self.jobs.pop(name, None)
        if name == SWEEP:
            self.sweep()
            return []
        ping_id = name.split(":", 1)[1]
        ping = self.store.get(int(ping_id)) if ping_id.isdigit() else None
        if ping is None or ping.status != "pending" or not self.coach.runs_timers_of(ping.user_id):
            return []
        return self.deliver(ping)

    def runs(self, ping_id: int) -> bool:
        """This process sends ping `ping_id` (the bot all of them, `hamcoach chat` its user's)."""
        if self.coach.timer_user is None:
            return True
        ping = self.store.get(ping_id)
        return ping is not None and self.coach.runs_timers_of(ping.user_id)

    # ------------------------------------------------------------------ sending

    def deliver(self, ping: Ping) -> list[Outgoing]:
        """Send the ping unless it moved, is too late, was turned off, or today's session is done."""
        now = self.coach.clock()
        due = ping.due_at
        if ping.snoozes == 0:  # the time zone or quiet hours may have changed since it was armed
            due = max(due, self.due_of(ping.user_id, self.slot_time(ping)))
        if due > now + TOO_EARLY:
            self.store.move(ping.id, due, snooze=False)
            self.put_job(ping.id, due, now)
            return []
        if now - due > self.rules.grace:
            self.close(ping, "missed", now)
            return []
        setting = self.store.setting(ping.user_id)
        if setting is None or not setting.active:
            self.store.set_status(ping.id, "cancelled", only_from=("pending",), now=now)
            return []
        up = self.coach.training.upcoming(ping.user_id)
        tz = self.coach.local_time.zone(ping.user_id)
        done_today = (
            up.last_finished is not None
            and up.last_finished.astimezone(tz).date() == now.astimezone(tz).date()
        )
        if up.running or up.kind == "hold" or done_today:
            self.close(ping, "passed", now)
            return []
        if not self.store.set_status(ping.id, "sent", only_from=("pending",), now=now):
            return []
        self.arm(ping.user_id)
        days = (now - up.last_finished).days if up.last_finished else None
        return [Outgoing(ping.chat_id, views.ping(self.rules, ping.id, up, days))]

    def slot_time(self, ping: Ping) -> datetime:
        """The ping's local slot in the user's current time zone."""
        naive = datetime.strptime(ping.slot, "%Y-%m-%dT%H:%M")
        return naive.replace(tzinfo=self.coach.local_time.zone(ping.user_id))

    def close(self, ping: Ping, status: str, now: datetime) -> None:
        """Not sent (late, or nothing to remind of): mark it and arm the next."""
        self.store.set_status(ping.id, status, only_from=("pending",), now=now)
        self.arm(ping.user_id)

    def refit(self, user_id: int) -> None:
        """The user's time zone or quiet hours changed: the pending reminder moves to the rule's next
        slot on their new clock (a snoozed one keeps its time)."""
        ping, setting = self.store.next_pending(user_id), self.store.setting(user_id)
        if ping is None or setting is None or ping.snoozes:
            return
        now = self.coach.clock()
        slot = next_slot(setting.rule, now, self.coach.local_time.zone(user_id))
        due = self.due_of(user_id, slot)
        if self.store.reslot(ping.id, slot_key(slot), due):
            self.put_job(ping.id, due, now)

    # ------------------------------------------------------------------ what a user does

    def offer(self, msg: Incoming) -> list[Reply]:
        setting = self.store.setting(msg.user_id)
        per_week = self.coach.training.upcoming(msg.user_id).per_week
        return [views.offer(self.rules, per_week, bool(setting and setting.active))]

    def set_rule(self, msg: Incoming, rule: Rule) -> list[Reply]:
        """Save the rule, drop the pending ping, arm the next one and say when it comes."""
        now = self.coach.clock()
        self.store.save(msg.user_id, msg.chat_id, rule, True, now)
        for ping_id in self.store.cancel_pending(msg.user_id):
            self.drop_job(ping_id)
        ping = self.arm(msg.user_id)
        self.ensure_sweep(now)
        tz = self.coach.local_time.zone(msg.user_id)
        line = views.settings_line(self.rules, "set", rule, tz, ping.due_at if ping else None)
        extra = views.notes(self.rules, tz, self.coach.local_time.quiet_hours(msg.user_id), rule)
        return [Reply.plain(" ".join([line, *extra]))]

    def show(self, msg: Incoming) -> list[Reply]:
        setting = self.store.setting(msg.user_id)
        if setting is None or not setting.active:
            per_week = self.coach.training.upcoming(msg.user_id).per_week
            return [*views.say(self.rules, "is_off"), views.offer(self.rules, per_week, False)]
        ping = self.arm(msg.user_id)
        tz = self.coach.local_time.zone(msg.user_id)
        return [views.shown(self.rules, setting.rule, tz, ping.due_at if ping else None)]

    def turn_off(self, msg: Incoming) -> list[Reply]:
        setting = self.store.setting(msg.user_id)
        if setting is None or not setting.active:
            return views.say(self.rules, "already_off")
        self.store.save(msg.user_id, setting.chat_id, setting.rule, False, self.coach.clock())
        for ping_id in self.store.cancel_pending(msg.user_id):
            self.drop_job(ping_id)
        return views.say(self.rules, "turned_off")

    def start(self, msg: Incoming, ping_id: int) -> list[Reply]:
        """Start: the ping is done with (a snoozed one too), and the session begins as /session would."""
        ping = self.store.get(ping_id)
        if (
            ping is not None
            and ping.user_id == msg.user_id
            and self.store.set_status(
                ping_id, "started", only_from=("sent", "pending"), now=self.coach.clock()
            )
        ):
            self.drop_job(ping_id)
            self.arm(msg.user_id)
        return self.coach.training.begin(msg)

    def snooze(self, msg: Incoming, ping_id: int) -> list[Reply]:
        ping = self.store.get(ping_id)
        now = self.coach.clock()
        if ping is None or ping.user_id != msg.user_id or ping.status != "sent":
            return views.say(self.rules, "passed")
        due = self.coach.local_time.after_quiet(msg.user_id, now + self.rules.snooze)
        self.store.move(ping.id, due, snooze=True)
        self.put_job(ping.id, due, now)
        tz = self.coach.local_time.zone(msg.user_id)
        return views.say(self.rules, "snoozed", time=views.when_text(self.rules, due, tz))

    def skip(self, msg: Incoming, ping_id: int) -> list[Reply]:
        ping = self.store.get(ping_id)
        now = self.coach.clock()
        if ping is None or ping.user_id != msg.user_id:
            return views.say(self.rules, "passed")
        if not self.store.set_status(ping_id, "skipped", only_from=("sent", "pending"), now=now):
            return views.say(self.rules, "passed")
        self.drop_job(ping_id)
        nxt = self.arm(msg.user_id)
        tz = self.coach.local_time.zone(msg.user_id)
        return views.say(
            self.rules, "skipped", next=views.when_text(self.rules, nxt.due_at, tz) if nxt else "-"
        )

    def forget(self, user_id: int) -> None:
        for ping_id in self.store.forget(user_id):
            self.drop_job(ping_id)
