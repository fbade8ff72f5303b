"""What the coach calls for the session: commands, button presses, typed text and rest timers.

Each handler reads its input (a command, a button's data, a typed line, a timer's name) and lets the
service act; the state machine, the storing and the rendering live elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.coach import Due, Incoming, Outgoing
from bot.core.reply import Button, Reply
from bot.session import typed, views
from bot.session.buttons import BEGIN, Pressed, button_event, parse_callback
from bot.session.flow import Event, Flow
from bot.session.service import SessionService
from bot.session.store import SessionRow, SessionStore
from bot.session.timers import parse_rest_timer


@dataclass
class SessionHandlers:
    """The session's entry points, registered on the coach by `bot.session.feature.register`."""

    sessions: SessionService

    @property
    def flow(self) -> Flow:
        return self.sessions.flow

    @property
    def store(self) -> SessionStore:
        return self.sessions.store

    def start_button(self, user_id: int) -> Button:
        """/start's session button: "first" only for someone who never ended a session."""
        if self.store.last_ended(user_id) is None:
            return views.start_button(self.flow)
        return Button(self.flow.text("next_button"), BEGIN)

    # ------------------------------------------------------------------ commands

    def cmd_session(self, msg: Incoming, args: str) -> list[Reply]:
        """/session: start one, or offer the one already running."""
        return self.sessions.begin(msg)

    def cmd_pause(self, msg: Incoming, args: str) -> list[Reply]:
        """/pause: keep the place until /resume."""
        row = self.store.running(msg.user_id)
        if row is None:
            return views.say(self.flow, "nothing_to_pause")
        return self.sessions.pause(row)

    def cmd_resume(self, msg: Incoming, args: str) -> list[Reply]:
        """/resume: carry on a paused session where it stopped."""
        row = self.store.running(msg.user_id)
        if row is None:
            return views.say(self.flow, "nothing_to_resume")
        row = self.sessions.repair(row)
        if row.status == "active":
            return self.sessions.note(row, "not_paused")
        return self.sessions.resume(row)

    def cmd_cancel(self, msg: Incoming, args: str) -> list[Reply]:
        """/cancel: end the running session; the sets logged so far stay."""
        row = self.store.running(msg.user_id)
        if row is None:
            return views.say(self.flow, "nothing_to_cancel")
        return self.sessions.cancel(row)

    def cmd_history(self, msg: Incoming, args: str) -> list[Reply]:
        """/history: the latest sessions and what comes next."""
        return self.sessions.history(msg.user_id)

    # ------------------------------------------------------------------ buttons

    def on_button(self, msg: Incoming, payload: str) -> list[Reply]:
        """`s:begin`, `s:cleared`, or a press on a session's step (checked against its seq)."""
        if payload == "begin":
            return self.sessions.begin(msg)
        if payload == "cleared":
            return self.sessions.begin_cleared(msg)
        pressed = parse_callback(payload)
        row = self.store.get(pressed.session_id) if pressed else None
        if pressed is None or row is None or row.user_id != msg.user_id:
            return self.sessions.coach.stale()
        return self.on_step_button(msg, self.sessions.repair(row), pressed)

    def on_step_button(self, msg: Incoming, row: SessionRow, pressed: Pressed) -> list[Reply]:
        """A press on the user's own session: old presses get a kind note, the rest move the session."""
        action = pressed.action
        if row.status in ("finished", "cancelled"):
            return views.say(self.flow, "session_over")
        if pressed.seq != row.seq:
            return self.sessions.note(row, "stale")
        if action == "over":
            return self.sessions.start_over(msg, row)
        if row.status == "paused":
            return self.sessions.resume(row) if action == "resume" else [views.paused_reply(self.flow, row)]
        if action in ("cont", "resume"):
            return self.sessions.screen(row)
        event = button_event(action)
        return self.sessions.step(row, event) if event else self.sessions.note(row, "stale")

    # ------------------------------------------------------------------ typed text

    def on_text(self, msg: Incoming) -> list[Reply] | None:
        """Typed text while a session runs: reps, a word such as back or skip, or a question."""
        row = self.store.running(msg.user_id)
        if row is None:
            return None
        row = self.sessions.repair(row)
        if row.status == "paused":
            return self.sessions.resume(row) if typed.is_resume(msg.text) else None
        if msg.kind == "edited":
            return self.sessions.note(row, "edited")
        return self.on_typed(row, msg, typed.meaning(self.flow, row.state, msg.text))

    def on_typed(self, row: SessionRow, msg: Incoming, meaning: typed.Meaning) -> list[Reply]:
        """Apply what the text means: an event, a note, or else answer it as a question."""
        if isinstance(meaning, Event):
            return self.sessions.step(row, meaning)
        if meaning is not None:
            return self.sessions.note(row, meaning)
        return self.sessions.question(row, msg, msg.text.strip())

    # ------------------------------------------------------------------ timers and events

    def on_timer(self, name: str) -> list[Outgoing]:
        """`rest:<session>:<set>` fired: the rest after that set is over."""
        parsed = parse_rest_timer(name)
        return self.sessions.rest_over(*parsed) if parsed else []

    def pending(self) -> list[Due]:
        """Rest timers to rebuild at start-up."""
        return self.sessions.pending()

    def forget(self, user_id: int, data: dict[str, object]) -> list[Reply]:
        """The `forget` event: delete the user's sessions."""
        self.sessions.forget(user_id)
        return []
