"""Starting, advancing, pausing, resuming and finishing sessions, over the store and the pure flow.

The database is the truth: every change is written (atomically, guarded by the session's `seq`)
before a rest timer is scheduled or cancelled and before anything is said. The next session is
planned from the past sessions and what the check-ins report through `coach.readiness`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from bot.core.coach import Coach, Due, Incoming, Outgoing
from bot.core.reply import Reply
from bot.session import views
from bot.session.flow import Event, Flow, Outcome, start_state, transition
from bot.session.progression import Plan, describe, next_session
from bot.session.store import Change, SessionRow, SessionStore
from bot.session.timers import rest_timer

log = logging.getLogger(__name__)


@dataclass
class SessionService:
    """State lives in SQLite; this object only holds the wiring."""

    coach: Coach
    flow: Flow
    store: SessionStore
    started_at: datetime = field(init=False)

    def __post_init__(self) -> None:
        self.started_at = self.coach.clock()

    # ------------------------------------------------------------------ planning

    def plan_for(self, user_id: int, *, cleared: bool = False) -> Plan:
        held = not cleared and self.held(user_id)
        past = self.store.past(user_id)
        return next_session(
            past,
            now=self.coach.clock(),
            soreness=self.coach.readiness.soreness(user_id),
            held=held,
            gap=timedelta(days=self.flow.step_back_days),
        )

    def held(self, user_id: int) -> bool:
        """Held by a red flag: another feature says so, or the last session stopped for pain."""
        if self.coach.readiness.held(user_id):
            return True
        last = self.store.last_ended(user_id)
        return last is not None and last.stop_reason == "pain"

    # ------------------------------------------------------------------ showing

    def screen(self, row: SessionRow) -> list[Reply]:
        """The current step as messages with their buttons (or the paused notice)."""
        if row.status == "paused":
            return [views.paused_reply(self.flow, row)]
        at_end = self.flow.steps[row.state.step].kind == "end"
        upcoming = describe(self.plan_for(row.user_id)) if at_end else ""
        return views.screen(self.flow, row, self.store.sets_of(row.id), upcoming, self.rest_left(row))

    def note(self, row: SessionRow, key: str) -> list[Reply]:
        """A short explanation, with the buttons that help, or followed by the current step."""
        reply = views.note(self.flow, row, key, self.left(row))
        return [reply] if key in views.ALONE else [reply, *self.screen(row)]

    def left(self, row: SessionRow) -> str:
        """What is left of the pending rest, "0:00" when none."""
        return views.countdown(self.rest_left(row) or 0)

    def rest_left(self, row: SessionRow) -> int | None:
        """Seconds left of the pending rest, None when not resting."""
        rest = self.store.rest(row.id, row.state.set_no - 1) if row.state.resting else None
        if rest is None:
            return None
        return max(0, int((rest[0] - self.coach.clock()).total_seconds()))

    def title(self, row: SessionRow) -> str:
        if row.state.step not in self.flow.steps:
            return ""
        return views.step_title(self.flow, row, self.store.sets_of(row.id))

    def history(self, user_id: int) -> list[Reply]:
        past = self.store.history(user_id)
        return views.history(self.flow, past, describe(self.plan_for(user_id)) if past else "")

    # ------------------------------------------------------------------ starting

    def begin(self, msg: Incoming, *, cleared: bool = False) -> list[Reply]:
        """A new session, unless one runs (then offer it) or a red flag holds the user."""
        running = self.store.running(msg.user_id)
        if running is not None:
            return self.already(running)
        plan = self.plan_for(msg.user_id, cleared=cleared)
        if plan.kind == "hold":
            return views.hold(self.flow)
        row = self.store.create(msg.user_id, msg.chat_id, start_state(self.flow), plan, self.coach.clock())
        if row is None:  # a second start raced the first: show the one that exists
            again = self.store.running(msg.user_id)
            return self.already(again) if again else []
        return self.screen(row)

    def begin_cleared(self, msg: Incoming) -> list[Reply]:
        """A clinician cleared the user: other features hear of it, and the session starts."""
        replies = self.coach.emit("hold_cleared", msg.user_id, {})
        return [*replies, *self.begin(msg, cleared=True)]

    def already(self, row: SessionRow) -> list[Reply]:
        row = self.repair(row)
        return views.already(self.flow, row, self.title(row))

    def start_over(self, msg: Incoming, row: SessionRow) -> list[Reply]:
        if self.store.set_status(row, "cancelled", self.coach.clock()) is not None:
            self.cancel_rest(row)
        return self.begin(msg)

    def repair(self, row: SessionRow) -> SessionRow:
        """A stored step the YAML no longer has (a coach edited it) restarts the walk-through, sets kept."""
        if row.status not in ("active", "paused") or row.state.step in self.flow.steps:
            return row
        log.warning("session %s was at step %r, which session.yaml no longer has", row.id, row.state.step)
        state = replace(start_state(self.flow), set_no=row.state.set_no)
        fixed = self.store.apply(row, Change(state, rest_end="done"), self.coach.clock())
        return fixed or self.store.get(row.id) or row

    # ------------------------------------------------------------------ advancing

    def step(self, row: SessionRow, event: Event) -> list[Reply]:
        """Apply one event: store it (atomically), schedule or cancel the rest timer, then answer."""
        outcome = transition(self.flow, row.plan.sets, row.state, event)
        if outcome.state == row.state and outcome.logged is None and outcome.unlogged is None:
            return self.note(row, outcome.note) if outcome.note else self.screen(row)
        now = self.coach.clock()
        change = self.change_for(event, outcome, now)
        new = self.store.apply(row, change, now)
        if new is None:
            fresh = self.store.get(row.id)
            return self.note(fresh, "stale") if fresh and fresh.status in ("active", "paused") else []
        self.after(row, change)
        replies = self.note(new, outcome.note) if outcome.note else self.screen(new)
        if outcome.finished == "end":
            replies += self.finished(new, now)
        return replies

    def change_for(self, event: Event, outcome: Outcome, now: datetime) -> Change:
        status = {"end": "finished", "stop": "cancelled"}.get(outcome.finished, "")
        rest_end = ""
        if outcome.rest == "end":
            rest_end = "skipped" if event.kind == "skip" else "done"
        due = now + timedelta(seconds=self.flow.rest_seconds) if outcome.rest == "start" else None
        return Change(outcome.state, outcome.logged, outcome.unlogged, due, rest_end, status, outcome.reason)

    def after(self, row: SessionRow, change: Change) -> None:
        """Jobs follow the database: the row is written, now the timer."""
        if change.rest_due is not None and change.logged is not None:
            self.coach.scheduler.schedule(rest_timer(row.id, change.logged[0]), change.rest_due)
        if change.rest_end or change.status:
            self.cancel_rest(row)

    def finished(self, row: SessionRow, now: datetime) -> list[Reply]:
        """Tell the other features (check-ins schedule the soreness question); their replies follow."""
        total = sum(reps for _, reps in self.store.sets_of(row.id))
        data: dict[str, object] = {
            "session_id": row.id,
            "finished_at": (row.finished_at or now).isoformat(),
            "total_reps": total,
        }
        return self.coach.emit("session_finished", row.user_id, data)

    def question(self, row: SessionRow, msg: Incoming, text: str) -> list[Reply]:
        """Answer from the knowledge base and keep the place: a Continue button re-shows the step."""
        answered = self.coach.answers.ask(msg.user_id, text[:4000])
        return views.question(self.flow, row, self.title(row), answered)

    # ------------------------------------------------------------------ pausing, resuming, cancelling

    def pause(self, row: SessionRow) -> list[Reply]:
        """Keep the place and end a pending rest; a resume shows the step again."""
        if row.status == "paused":
            return [views.paused_reply(self.flow, row)]
        new = self.store.set_status(row, "paused", self.coach.clock())
        if new is None:
            return self.note(row, "stale")
        self.cancel_rest(row)
        return views.paused(self.flow, new, self.title(new))

    def resume(self, row: SessionRow) -> list[Reply]:
        new = self.store.set_status(row, "active", self.coach.clock())
        return self.screen(new) if new else self.note(row, "stale")

    def cancel(self, row: SessionRow) -> list[Reply]:
        new = self.store.set_status(row, "cancelled", self.coach.clock())
        if new is None:
            return self.note(row, "stale")
        self.cancel_rest(row)
        return views.say(self.flow, "cancelled")

    # ------------------------------------------------------------------ rest timers

    def cancel_rest(self, row: SessionRow) -> None:
        """Drop the timer of the rest `row` may be in (the rest after the last logged set)."""
        self.coach.scheduler.cancel(rest_timer(row.id, row.state.set_no - 1))

    def rest_over(self, session_id: int, set_no: int) -> list[Outgoing]:
        """A rest is over: the database decides whether that still means anything."""
        row = self.store.get(session_id)
        due = self.store.rest(session_id, set_no)
        if row is None or due is None or due[1] != "pending" or not self.coach.runs_timers_of(row.user_id):
            return []
        if row.status != "active" or not row.state.resting or row.state.set_no != set_no + 1:
            self.store.close_rest(row.id, set_no)
            return []
        outcome = transition(self.flow, row.plan.sets, row.state, Event("rest_over"))
        new = self.store.apply(row, Change(outcome.state, rest_end="done"), self.coach.clock())
        if new is None:
            return []
        late = due[0] < self.started_at
        replies = views.rest_over(self.flow, new, late, self.screen(new) if outcome.show else None)
        return [Outgoing(new.chat_id, r) for r in replies]

    def pending(self) -> list[Due]:
        """Rest timers to rebuild at start-up; one that passed while down fires at once."""
        now = self.coach.clock()
        rests = self.store.pending_rests(self.coach.timer_user)
        return [Due(rest_timer(sid, n), max(due, now)) for sid, n, due in rests]

    def forget(self, user_id: int) -> None:
        """Delete the user's sessions and drop their pending rest timers."""
        for name in self.store.forget(user_id):
            self.coach.scheduler.cancel(name)
