"""The guided session as a pure state machine (no I/O, no Telegram, no YAML parsing).

`bot.session.loader` reads and checks `session.yaml` into a `Flow`; this module computes, for a
state and an event, the next state and what must be stored. The service does the storing and the
views the talking, so the flow can be tested and fuzzed alone.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

from bot.knowledge.texts import fill

KINDS = ("info", "sets", "end", "stop")
BACK = "back"
HISTORY_LIMIT = 30


@dataclass(frozen=True)
class Choice:
    """A button of a step: it goes `to` a step (or "back"), or carries another feature's `data`."""

    label: str
    to: str = ""
    data: str = ""


@dataclass(frozen=True)
class Step:
    id: str
    kind: str
    title: str
    text: str
    buttons: tuple[Choice, ...] = ()
    anytime: bool = True
    next: str = ""
    rest_text: str = ""
    reason: str = ""
    more: tuple[str, ...] = ()
    line: int = 0

    @property
    def final(self) -> bool:
        return self.kind in ("end", "stop")


@dataclass(frozen=True)
class Flow:
    """The validated session: steps by id plus the settings and texts around them."""

    start: str
    steps: dict[str, Step]
    anytime: tuple[Choice, ...]
    texts: dict[str, str]
    rest_seconds: int = 120
    reps_buttons: int = 8
    max_typed_reps: int = 30
    step_back_days: int = 14  # a longer gap since the last session steps the next one back a week

    @property
    def sets_step(self) -> Step:
        return next(s for s in self.steps.values() if s.kind == "sets")

    def text(self, key: str, **values: object) -> str:
        return fill(self.texts[key], values)


@dataclass(frozen=True)
class State:
    """Where one user is: the step, the way back, which set comes next, and whether they rest."""

    step: str
    history: tuple[str, ...] = ()
    set_no: int = 1
    resting: bool = False
    done: bool = False


EventKind = Literal["press", "anytime", "reps", "skip", "rest_over", "back", "repeat", "undo"]


@dataclass(frozen=True)
class Event:
    kind: EventKind
    value: int = 0


@dataclass(frozen=True)
class Outcome:
    """What a transition means: the new state plus what to store and say.

    `note` names a text to say before the current step; `show` is false when the event changed
    nothing the user needs to see again (a rest that ended while they were elsewhere).
    """

    state: State
    note: str = ""
    show: bool = True
    logged: tuple[int, int] | None = None  # (set_no, reps)
    unlogged: int | None = None  # the set_no whose reps an undo removes
    rest: Literal["start", "end", ""] = ""
    finished: Literal["end", "stop", ""] = ""
    reason: str = ""


def start_state(flow: Flow) -> State:
    return State(flow.start)


def _go(flow: Flow, state: State, target: str, **extra: Any) -> Outcome:
    history = (*state.history, state.step)[-HISTORY_LIMIT:]
    step = flow.steps[target]
    new = replace(state, step=target, history=history, done=step.final)
    if step.final:
        return Outcome(new, finished="end" if step.kind == "end" else "stop", reason=step.reason, **extra)
    return Outcome(new, **extra)


def _back(flow: Flow, state: State) -> Outcome:
    step = flow.steps[state.step]
    if step.kind == "sets" and state.set_no > 1:
        return Outcome(state, note="no_back_past_sets")
    if not state.history:
        return Outcome(state, note="first_step")
    previous = state.history[-1]
    if previous not in flow.steps or flow.steps[previous].final:
        return Outcome(replace(state, history=()), note="first_step")
    return Outcome(replace(state, step=previous, history=state.history[:-1]))


def transition(flow: Flow, sets: int, state: State, event: Event) -> Outcome:
    """The next state for `event`; invalid events leave the state as it is and name a note."""
    if state.done:
        return Outcome(state, note="session_over")
    if state.step not in flow.steps:  # the YAML changed under a stored session: start over safely
        return Outcome(replace(state, step=flow.start, history=()), note="first_step")
    step = flow.steps[state.step]
    kind, value = event.kind, event.value
    if kind == "repeat":
        return Outcome(state, note="")
    if kind == "back":
        return _back(flow, state)
    if kind == "press":
        if step.kind != "info" or not 0 <= value < len(step.buttons) or not step.buttons[value].to:
            return Outcome(state, note="stale")
        target = step.buttons[value].to
        return _back(flow, state) if target == BACK else _go(flow, state, target)
    if kind == "anytime":
        if not step.anytime or not 0 <= value < len(flow.anytime):
            return Outcome(state, note="stale")
        return _go(flow, state, flow.anytime[value].to)
    if kind == "rest_over":
        if not state.resting:
            return Outcome(state, note="not_resting", show=False)
        return Outcome(replace(state, resting=False), rest="end", show=step.kind == "sets")
    if kind == "undo":  # the reps just logged were wrong (a misheard voice note): log that set again
        if step.kind != "sets" or not state.resting or state.set_no < 2:
            return Outcome(state, note="nothing_to_undo")
        back = state.set_no - 1
        return Outcome(replace(state, set_no=back, resting=False), unlogged=back, rest="end", note="undone")
    if kind == "skip":
        if step.kind != "sets" or not state.resting:
            return Outcome(state, note="not_resting")
        return Outcome(replace(state, resting=False), rest="end")
    # reps
    if step.kind != "sets":
        return Outcome(state, note="not_now")
    if state.resting:
        return Outcome(state, note="resting")
    if not 0 <= value <= flow.max_typed_reps:
        return Outcome(state, note="out_of_range")
    logged = (state.set_no, value)
    if state.set_no < sets:
        return Outcome(replace(state, set_no=state.set_no + 1, resting=True), logged=logged, rest="start")
    return _go(flow, replace(state, set_no=state.set_no + 1), step.next, logged=logged)
