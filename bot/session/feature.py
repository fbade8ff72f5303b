"""The guided session as a conversation feature: commands, buttons, typed reps, rest timers.

The flow itself is `bot.session.flow` (pure); this module reads and writes `bot.session.store` and turns
states into replies. Buttons carry the session id and its `seq`, so a press on an old message or a
second press of the same button is recognised and answered kindly, and nothing is logged twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from bot.core.coach import Coach, Due, Incoming, Outgoing
from bot.core.reply import Button, Reply, bold, escape
from bot.knowledge.texts import fill
from bot.session.flow import Event, EventKind, Flow, Outcome, Step, parse_reps, start_state, transition
from bot.session.progression import Plan, describe, next_session
from bot.session.store import Change, SessionRow, SessionStore

log = logging.getLogger(__name__)

PREFIX = "s"
TIMER = "rest"
REPEAT_WORDS = {"repeat", "again", "where was i", "where am i", "what now", "continue"}
NEXT_WORDS = {"ok", "okay", "next", "done", "ready", "yes", "go", "got it", "k"}
RESUME_WORDS = {"resume", "continue", "carry on"}


def rest_label(seconds: int) -> str:
    """120 -> "2 minutes", 90 -> "1 min 30 s", 45 -> "45 seconds"."""
    minutes, rest = divmod(seconds, 60)
    if not minutes:
        return f"{seconds} seconds"
    if not rest:
        return f"{minutes} minute{'s' if minutes > 1 else ''}"
    return f"{minutes} min {rest} s"


def summary(sets: list[tuple[int, int]]) -> str:
    reps = [r for _, r in sets]
    shown = " and ".join(str(r) for r in reps) if len(reps) < 3 else ", ".join(str(r) for r in reps)
    noun = "set" if len(reps) == 1 else "sets"
    return f"You logged {len(reps)} {noun}: {shown} reps, {sum(reps)} in total."


@dataclass
class SessionFeature:
    """State lives in SQLite; this object only holds the wiring."""

    coach: Coach
    flow: Flow
    store: SessionStore
    started_at: datetime = field(init=False)

    def __post_init__(self) -> None:
        self.started_at = self.coach.clock()

    # ------------------------------------------------------------------ rendering

    def data(self, row: SessionRow, action: str) -> str:
        return f"{PREFIX}:{row.id}.{row.seq}:{action}"

    def values(self, row: SessionRow, sets: list[tuple[int, int]]) -> dict[str, object]:
        plan, state = row.plan, row.state
        step = self.flow.steps.get(state.step)
        shown = max(1, min(state.set_no - 1 if state.resting else state.set_no, plan.sets))
        target = plan.targets[shown - 1] if step is not None and step.kind == "sets" else plan.target_text
        return {
            "sets": plan.sets,
            "target": target,
            "rest": rest_label(self.flow.rest_seconds),
            "set_no": shown,
            "reps": dict(sets).get(shown, 0),
            "summary": summary(sets),
            "next": "",
            "left": "",
            "step": "",
            "max": self.flow.max_typed_reps,
        }

    def step_title(self, row: SessionRow) -> str:
        step = self.flow.steps.get(row.state.step)
        if step is None:
            return ""
        return fill(step.title, self.values(row, self.store.sets_of(row.id)))

    def anytime_row(self, row: SessionRow, step: Step) -> list[Button]:
        if not step.anytime:
            return []
        return [Button(c.label, self.data(row, f"a{i}")) for i, c in enumerate(self.flow.anytime)]

    def reps_rows(self, row: SessionRow) -> list[list[Button]]:
        buttons = [Button(str(n), self.data(row, f"r{n}")) for n in range(self.flow.reps_buttons + 1)]
        return [buttons[i : i + 5] for i in range(0, len(buttons), 5)]

    def screen(self, row: SessionRow) -> list[Reply]:
        """The current step as messages with their buttons."""
        if row.status == "paused":
            return [self.paused_reply(row)]
        step = self.flow.steps[row.state.step]
        sets = self.store.sets_of(row.id)
        values = self.values(row, sets)
        if step.kind == "end":
            values["next"] = describe(self.plan_for(row.user_id))
        title = bold(fill(step.title, values))
        if step.kind == "sets":
            if row.state.resting:
                body = fill(step.rest_text, values)
                rows = [[Button(self.flow.text("skip_rest_button"), self.data(row, "skip"))]]
            else:
                body = fill(step.text, values)
                rows = self.reps_rows(row)
            return [Reply.make(f"{title}\n{escape(body)}", [*rows, self.anytime_row(row, step)])]
        if step.final:
            texts = [fill(step.text, values), *(fill(m, values) for m in step.more)]
            buttons = [[Button(c.label, c.data)] for c in step.buttons]
            replies = [Reply.make(f"{title}\n{escape(texts[0])}")]
            replies += [Reply.plain(t) for t in texts[1:]]
            replies[-1] = Reply.make(replies[-1].html, buttons)
            return replies
        rows = [[Button(c.label, self.data(row, f"b{i}"))] for i, c in enumerate(step.buttons)]
        text = escape(fill(step.text, values))
        return [Reply.make(f"{title}\n{text}", [*rows, self.anytime_row(row, step)])]

    def paused_reply(self, row: SessionRow) -> Reply:
        resume = [[Button(self.flow.text("resume_button"), self.data(row, "resume"))]]
        return Reply.plain(self.flow.text("still_paused"), resume)

    def note(self, row: SessionRow, key: str) -> list[Reply]:
        """A short explanation, with the buttons that help, or followed by the current step."""
        text = fill(self.flow.texts[key], {"max": self.flow.max_typed_reps, "left": self.left(row)})
        if key in ("not_a_number", "out_of_range"):
            return [Reply.plain(text, self.reps_rows(row))]
        if key == "resting":
            return [Reply.plain(text, [[Button(self.flow.text("skip_rest_button"), self.data(row, "skip"))]])]
        if key == "session_over":
            return [Reply.plain(text)]
        return [Reply.plain(text), *self.screen(row)]

    def left(self, row: SessionRow) -> str:
        rest = self.store.rest(row.id, row.state.set_no - 1) if row.state.resting else None
        if rest is None:
            return "0:00"
        seconds = max(0, int((rest[0] - self.coach.clock()).total_seconds()))
        return f"{seconds // 60}:{seconds % 60:02d}"

    # ------------------------------------------------------------------ the flow

    def plan_for(self, user_id: int, *, cleared: bool = False) -> Plan:
        held = not cleared and self.held(user_id)
        past = self.store.past(user_id)
        return next_session(
            past, now=self.coach.clock(), soreness=self.coach.readiness.soreness(user_id), held=held
        )

    def held(self, user_id: int) -> bool:
        """Held by a red flag: another feature says so, or the last session stopped for pain."""
        if self.coach.readiness.held(user_id):
            return True
        last = self.store.last_ended(user_id)
        return last is not None and last.stop_reason == "pain"

    def begin(self, msg: Incoming, *, cleared: bool = False) -> list[Reply]:
        running = self.store.running(msg.user_id)
        if running is not None:
            return self.already(running)
        plan = self.plan_for(msg.user_id, cleared=cleared)
        if plan.kind == "hold":
            button = [[Button(self.flow.text("cleared_button"), f"{PREFIX}:cleared")]]
            return [Reply.plain(self.flow.text("hold"), button)]
        row = self.store.create(msg.user_id, msg.chat_id, start_state(self.flow), plan, self.coach.clock())
        if row is None:  # a second start raced the first: show the one that exists
            again = self.store.running(msg.user_id)
            return self.already(again) if again else []
        return self.screen(row)

    def already(self, row: SessionRow) -> list[Reply]:
        row = self.repair(row)
        title = self.step_title(row)
        over = Button(self.flow.text("start_over_button"), self.data(row, "over"))
        if row.status == "paused":
            resume = Button(self.flow.text("resume_button"), self.data(row, "resume"))
            return [Reply.plain(self.flow.text("paused_running", step=title), [[resume], [over]])]
        carry = Button(self.flow.text("continue_button"), self.data(row, "cont"))
        return [Reply.plain(self.flow.text("already_running", step=title), [[carry], [over]])]

    def step(self, row: SessionRow, event: Event) -> list[Reply]:
        """Apply one event: store it (atomically), schedule or cancel the rest timer, then answer."""
        outcome = transition(self.flow, row.plan.sets, row.state, event)
        if outcome.state == row.state and outcome.logged is None:
            return self.note(row, outcome.note) if outcome.note else self.screen(row)
        now = self.coach.clock()
        change = self.change_for(event, outcome, now)
        new = self.store.apply(row, change, now)
        if new is None:
            fresh = self.store.get(row.id)
            return self.note(fresh, "stale") if fresh and fresh.status in ("active", "paused") else []
        self.after(row, outcome, change)
        replies = self.note(new, outcome.note) if outcome.note else self.screen(new)
        if outcome.finished == "end":
            total = sum(reps for _, reps in self.store.sets_of(new.id))
            finished = (new.finished_at or now).isoformat()
            data: dict[str, object] = {"session_id": new.id, "finished_at": finished, "total_reps": total}
            replies += self.coach.emit("session_finished", new.user_id, data)
        return replies

    def change_for(self, event: Event, outcome: Outcome, now: datetime) -> Change:
        status = {"end": "finished", "stop": "cancelled"}.get(outcome.finished, "")
        rest_end = ""
        if outcome.rest == "end":
            rest_end = "skipped" if event.kind == "skip" else "done"
        due = now + timedelta(seconds=self.flow.rest_seconds) if outcome.rest == "start" else None
        return Change(outcome.state, outcome.logged, due, rest_end, status, outcome.reason)

    def after(self, row: SessionRow, outcome: Outcome, change: Change) -> None:
        """Jobs follow the database: the row is written, now the timer."""
        if change.rest_due is not None and change.logged is not None:
            self.coach.scheduler.schedule(f"{TIMER}:{row.id}:{change.logged[0]}", change.rest_due)
        if change.rest_end or change.status:
            self.coach.scheduler.cancel(f"{TIMER}:{row.id}:{row.state.set_no - 1}")

    # ------------------------------------------------------------------ handlers

    def on_button(self, msg: Incoming, payload: str) -> list[Reply]:
        if payload == "begin":
            return self.begin(msg)
        if payload == "cleared":
            replies = self.coach.emit("hold_cleared", msg.user_id, {})
            return [*replies, *self.begin(msg, cleared=True)]
        ident, _, action = payload.partition(":")
        sid, _, seq = ident.partition(".")
        if not (sid.isdigit() and seq.isdigit() and action):
            return self.coach.stale()
        row = self.store.get(int(sid))
        if row is None or row.user_id != msg.user_id:
            return self.coach.stale()
        row = self.repair(row)
        if row.status in ("finished", "cancelled"):
            return [Reply.plain(self.flow.text("session_over"))]
        if int(seq) != row.seq:
            return self.note(row, "stale")
        if action == "over":
            cancelled = self.store.set_status(row, "cancelled", self.coach.clock())
            if cancelled is not None:
                self.coach.scheduler.cancel(f"{TIMER}:{row.id}:{row.state.set_no - 1}")
            return self.begin(msg)
        if row.status == "paused":
            return self.resume(row) if action == "resume" else [self.paused_reply(row)]
        if action in ("cont", "resume"):
            return self.screen(row)
        event = _event(action)
        return self.step(row, event) if event else self.note(row, "stale")

    def resume(self, row: SessionRow) -> list[Reply]:
        new = self.store.set_status(row, "active", self.coach.clock())
        return self.screen(new) if new else self.note(row, "stale")

    def repair(self, row: SessionRow) -> SessionRow:
        """A stored step the YAML no longer has (a coach edited it) restarts the walk-through, sets kept."""
        if row.status not in ("active", "paused") or row.state.step in self.flow.steps:
            return row
        log.warning("session %s was at step %r, which session.yaml no longer has", row.id, row.state.step)
        state = replace(start_state(self.flow), set_no=row.state.set_no)
        fixed = self.store.apply(row, Change(state, rest_end="done"), self.coach.clock())
        return fixed or self.store.get(row.id) or row

    def on_text(self, msg: Incoming) -> list[Reply] | None:
        row = self.store.running(msg.user_id)
        if row is None:
            return None
        row = self.repair(row)
        text = msg.text.strip()
        low = " ".join(text.lower().strip(" .!").split())
        if row.status == "paused":
            return self.resume(row) if low in RESUME_WORDS else None
        if msg.kind == "edited":
            return self.note(row, "edited")
        step = self.flow.steps[row.state.step]
        if low in REPEAT_WORDS:
            return self.screen(row)
        if low == "back":
            return self.step(row, Event("back"))
        if low in ("skip", "skip rest"):
            return self.step(row, Event("skip"))
        reps = parse_reps(text)
        if step.kind == "sets":
            if isinstance(reps, int):
                return self.step(row, Event("reps", reps))
            if row.state.resting and (reps == "bad" or len(low.split()) <= 2):
                return self.note(row, "resting")
            if reps == "bad":
                return self.note(row, "out_of_range")
            if len(low.split()) <= 2:
                return self.note(row, "not_a_number")
        elif isinstance(reps, int) and low not in NEXT_WORDS:
            return self.note(row, "not_now")
        forward = [i for i, c in enumerate(step.buttons) if c.to and c.to != "back"]
        if low in NEXT_WORDS and step.kind == "info" and len(forward) == 1:
            return self.step(row, Event("press", forward[0]))
        return self.question(row, msg, text)

    def question(self, row: SessionRow, msg: Incoming, text: str) -> list[Reply]:
        """Answer from the knowledge base and keep the place: a Continue button re-shows the step."""
        answered = self.coach.answers.ask(msg.user_id, text[:4000])
        waiting = self.flow.text("question_continue", step=self.step_title(row))
        buttons = [[Button(self.flow.text("continue_button"), self.data(row, "cont"))]]
        step = self.flow.steps[row.state.step]
        if answered.red_flag and step.anytime:
            buttons.append(self.anytime_row(row, step))
        return [*answered.replies, Reply.plain(waiting, buttons)]

    def on_timer(self, name: str) -> list[Outgoing]:
        """A rest is over: the database decides whether that still means anything."""
        _, _, rest = name.partition(":")
        sid, _, set_no = rest.partition(":")
        if not (sid.isdigit() and set_no.isdigit()):
            return []
        row = self.store.get(int(sid))
        due = self.store.rest(int(sid), int(set_no))
        if row is None or due is None or due[1] != "pending":
            return []
        if row.status != "active" or not row.state.resting or row.state.set_no != int(set_no) + 1:
            self.store.close_rest(row.id, int(set_no))
            return []
        outcome = transition(self.flow, row.plan.sets, row.state, Event("rest_over"))
        new = self.store.apply(row, Change(outcome.state, rest_end="done"), self.coach.clock())
        if new is None:
            return []
        late = due[0] < self.started_at
        ping = self.flow.text("rest_over_late" if late else "rest_over")
        if outcome.show:
            replies = [Reply.plain(ping), *self.screen(new)]
        else:
            carry_on = Button(self.flow.text("continue_button"), self.data(new, "cont"))
            replies = [Reply.plain(ping, [[carry_on]])]
        return [Outgoing(new.chat_id, r) for r in replies]

    def pending(self) -> list[Due]:
        """Rest timers to rebuild at start-up; one that passed while down fires at once."""
        now = self.coach.clock()
        return [Due(f"{TIMER}:{sid}:{n}", max(due, now)) for sid, n, due in self.store.pending_rests()]

    def forget(self, user_id: int, data: dict[str, object]) -> list[Reply]:
        for name in self.store.forget(user_id):
            self.coach.scheduler.cancel(name)
        return []

    # ------------------------------------------------------------------ commands

    def cmd_session(self, msg: Incoming, args: str) -> list[Reply]:
        return self.begin(msg)

    def cmd_pause(self, msg: Incoming, args: str) -> list[Reply]:
        row = self.store.running(msg.user_id)
        if row is None:
            return [Reply.plain(self.flow.text("nothing_to_pause"))]
        if row.status == "paused":
            return [self.paused_reply(row)]
        new = self.store.set_status(row, "paused", self.coach.clock())
        if new is None:
            return self.note(row, "stale")
        self.coach.scheduler.cancel(f"{TIMER}:{row.id}:{row.state.set_no - 1}")
        resume = [[Button(self.flow.text("resume_button"), self.data(new, "resume"))]]
        return [Reply.plain(self.flow.text("paused", step=self.step_title(new)), resume)]

    def cmd_resume(self, msg: Incoming, args: str) -> list[Reply]:
        row = self.store.running(msg.user_id)
        if row is None:
            return [Reply.plain(self.flow.text("nothing_to_resume"))]
        row = self.repair(row)
        if row.status == "active":
            return self.note(row, "not_paused")
        return self.resume(row)

    def cmd_cancel(self, msg: Incoming, args: str) -> list[Reply]:
        row = self.store.running(msg.user_id)
        if row is None:
            return [Reply.plain(self.flow.text("nothing_to_cancel"))]
        new = self.store.set_status(row, "cancelled", self.coach.clock())
        if new is None:
            return self.note(row, "stale")
        self.coach.scheduler.cancel(f"{TIMER}:{row.id}:{row.state.set_no - 1}")
        return [Reply.plain(self.flow.text("cancelled"))]

    def cmd_history(self, msg: Incoming, args: str) -> list[Reply]:
        past = self.store.history(msg.user_id)
        if not past:
            return [Reply.plain(self.flow.text("history_empty"), [[self.start_button()]])]
        lines = [bold(self.flow.text("history_title"))]
        for row, sets in past:
            day = row.started_at.date().isoformat()
            reps = " + ".join(str(r) for _, r in sets) or "no sets"
            total = f" = {sum(r for _, r in sets)}" if len(sets) > 1 else ""
            status = row.status if not row.stop_reason else f"{row.status} ({row.stop_reason})"
            lines.append(escape(f"{day} · {status} · {reps}{total} reps"))
        lines.append("")
        lines.append(escape("Next: " + describe(self.plan_for(msg.user_id))))
        return [Reply.make("\n".join(lines))]

    def start_button(self) -> Button:
        return Button(self.flow.text("start_button"), f"{PREFIX}:begin")


def _event(action: str) -> Event | None:
    """Button actions: b<i> a step's button, a<i> an anytime button, r<n> reps, skip the rest."""
    if action == "skip":
        return Event("skip")
    head, tail = action[:1], action[1:]
    if not tail.isdigit() or len(tail) > 3:
        return None
    kinds: dict[str, EventKind] = {"b": "press", "a": "anytime", "r": "reps"}
    kind = kinds.get(head)
    return Event(kind, int(tail)) if kind else None


def register(coach: Coach, flow: Flow) -> SessionFeature:
    """Wire the session into the coach; the returned object is where check-ins plug in soreness."""
    feature = SessionFeature(coach, flow, SessionStore(coach.store.db))
    coach.command("session", "Start a guided session")(feature.cmd_session)
    coach.command("pause", "Pause the session")(feature.cmd_pause)
    coach.command("resume", "Resume a paused session")(feature.cmd_resume)
    coach.command("cancel", "Cancel the session")(feature.cmd_cancel)
    coach.command("history", "Your past sessions")(feature.cmd_history)
    coach.button(PREFIX)(feature.on_button)
    coach.text_hooks.append(feature.on_text)
    coach.timers[TIMER] = feature.on_timer
    coach.pending.append(feature.pending)
    coach.on("forget", feature.forget)
    coach.start_buttons.append(feature.start_button())
    return feature
