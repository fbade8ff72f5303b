"""The guided session as a pure state machine over `bot/knowledge/data/session.yaml` (no I/O, no Telegram).

The YAML says which steps exist and where each button leads; this module loads and checks it
(every step reachable, no dead ends, every target real, every text short enough for a phone on the
floor) and computes, for a state and an event, the next state and what must be stored. The
feature module does the storing and the talking, so the flow can be tested and fuzzed alone.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from bot.core.numbers import NUMBER_WORDS, roman
from bot.knowledge.schema import ID_PATTERN, FileReader
from bot.knowledge.texts import fill
from bot.knowledge.yamlfile import KnowledgeError, Node, Problem

KINDS = ("info", "sets", "end", "stop")
BACK = "back"
MESSAGE_LIMIT = 400  # characters a step message may have, after its placeholders are filled
LABEL_LIMIT = 40
HISTORY_LIMIT = 30
PLACEHOLDERS = ("sets", "target", "rest", "set_no", "reps", "summary", "next", "left", "step", "max")
# Longest values the bot fills in, so the length check holds for every real message.
WORST: dict[str, str] = {
    "sets": "3",
    "target": "12/10/8",
    "rest": "10 minutes",
    "set_no": "3",
    "reps": "30",
    "summary": "x" * 70,
    "next": "x" * 170,
    "left": "10:00",
    "step": "x" * 48,
    "max": "30",
}
TEXT_KEYS = (
    "start_button",
    "next_button",
    "continue_button",
    "resume_button",
    "start_over_button",
    "skip_rest_button",
    "cleared_button",
    "already_running",
    "paused_running",
    "paused",
    "still_paused",
    "nothing_to_pause",
    "nothing_to_resume",
    "not_paused",
    "cancelled",
    "nothing_to_cancel",
    "stale",
    "session_over",
    "first_step",
    "no_back_past_sets",
    "not_now",
    "not_a_number",
    "out_of_range",
    "resting",
    "not_resting",
    "rest_over",
    "rest_over_late",
    "question_continue",
    "history_empty",
    "history_title",
    "hold",
    "edited",
)
STEP_FIELDS = {"id", "kind", "title", "text", "buttons", "anytime", "next", "rest_text", "reason", "more"}
SESSION_FIELDS = {"start", "rest_seconds", "reps_buttons", "max_typed_reps", "anytime", "steps", "texts"}


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

    @property
    def sets_step(self) -> Step:
        return next(s for s in self.steps.values() if s.kind == "sets")

    def text(self, key: str, **values: object) -> str:
        return fill(self.texts[key], values)


# ---------------------------------------------------------------- loading and validation


def _placeholders(reader: FileReader, node: Node, key: str, text: str) -> None:
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as exc:
        reader.error(node, f"'{key}': broken braces ({exc}); placeholders look like {{sets}}", key)
        return
    for name in names:
        if name not in PLACEHOLDERS:
            known = ", ".join(PLACEHOLDERS)
            reader.error(node, f"'{key}': unknown placeholder {{{name}}} (known: {known})", key)


def _check_length(reader: FileReader, node: Node, key: str, text: str, extra: int = 0) -> None:
    length = len(fill(text, WORST)) + extra
    if length >= MESSAGE_LIMIT:
        reader.error(
            node,
            f"'{key}' makes a message of up to {length} characters; keep it under {MESSAGE_LIMIT}",
            key,
        )


def _read_choice(reader: FileReader, node: Any, at: Node, allow_data: bool) -> Choice | None:
    if not isinstance(node, Node):
        reader.error(at, f"each button must be a mapping with 'label' and 'to', got {node!r:.40}", "buttons")
        return None
    reader.unknown_keys(node, {"label", "to", "data"})
    label = reader.text(node, "label", max_len=LABEL_LIMIT)
    to = reader.text(node, "to", required=False)
    data = reader.text(node, "data", required=False)
    if bool(to) == bool(data):
        reader.error(node, "a button needs exactly one of 'to' (a step) or 'data' (another feature's button)")
    if data and not allow_data:
        reader.error(node, "only end and stop steps may have 'data' buttons; use 'to' here", "data")
    if to and allow_data:
        reader.error(node, "end and stop steps end the session: their buttons need 'data', not 'to'", "to")
    if data and (len(data.encode()) > 64 or ":" not in data):
        reader.error(node, f"'data' must look like prefix:payload (at most 64 bytes), got {data!r}", "data")
    return Choice(label, to, data)


def _read_step(reader: FileReader, node: Node) -> Step:
    reader.unknown_keys(node, STEP_FIELDS)
    kind = reader.choice(node, "kind", KINDS) if "kind" in node else "info"
    title = reader.text(node, "title", max_len=60)
    text = reader.text(node, "text")
    final = kind in ("end", "stop")
    buttons: list[Choice] = []
    raw = node.get("buttons")
    if raw is not None:
        if not isinstance(raw, list):
            reader.error(node, "'buttons' must be a list", "buttons")
        else:
            buttons = [c for item in raw if (c := _read_choice(reader, item, node, final)) is not None]
    anytime = node.get("anytime", kind in ("info", "sets"))
    if not isinstance(anytime, bool):
        reader.error(node, "'anytime' must be true or false", "anytime")
        anytime = True
    more = tuple(reader.text_list(node, "more", required=False))
    step = Step(
        id=reader.ident(node),
        kind=kind,
        title=title,
        text=text,
        buttons=tuple(buttons),
        anytime=anytime and not final,
        next=reader.text(node, "next", required=kind == "sets"),
        rest_text=reader.text(node, "rest_text", required=kind == "sets"),
        reason=reader.text(node, "reason", required=kind == "stop"),
        more=more,
        line=node.line,
    )
    for key, value in (("title", title), ("text", text), ("rest_text", step.rest_text)):
        if value:
            _placeholders(reader, node, key, value)
    for value in more:
        _placeholders(reader, node, "more", value)
        _check_length(reader, node, "more", value)
    if text:
        _check_length(reader, node, "text", text, extra=len(fill(title, WORST)) + 1)
    if step.rest_text:
        _check_length(reader, node, "rest_text", step.rest_text, extra=len(fill(title, WORST)) + 1)
    if kind == "info" and not buttons:
        reader.error(
            node, f"step '{step.id}' has no buttons: a dead end (add buttons or make it an end step)"
        )
    if kind == "sets" and buttons:
        reader.error(node, "a sets step makes its own buttons (reps); remove 'buttons'", "buttons")
    if kind != "sets" and (node.get("next") is not None or node.get("rest_text") is not None):
        reader.error(node, "'next' and 'rest_text' belong to the sets step only")
    if step.reason and kind != "stop":
        reader.error(node, "'reason' belongs to stop steps only", "reason")
    if step.reason and not ID_PATTERN.match(step.reason):
        reader.error(node, "'reason' must be a short id such as pain or user", "reason")
    if more and kind != "end":
        reader.error(node, "'more' messages belong to end steps only", "more")
    return step


def _int_setting(reader: FileReader, node: Node, key: str, default: int, low: int, high: int) -> int:
    value = node.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        reader.error(node, f"'{key}' must be a whole number from {low} to {high}, got {value!r}", key)
        return default
    return value


def _successors(flow_steps: dict[str, Step], anytime: tuple[Choice, ...], step: Step) -> set[str]:
    out = {c.to for c in step.buttons if c.to and c.to != BACK}
    if step.anytime:
        out |= {c.to for c in anytime}
    if step.next:
        out.add(step.next)
    return {s for s in out if s in flow_steps}


def _check_graph(reader: FileReader, root: Node, flow: Flow, nodes: dict[str, Node]) -> None:
    """Every target exists, every step is reachable from `start`, and every step can reach an ending."""
    steps = flow.steps
    targets: list[tuple[Node, str, str]] = []
    for step in steps.values():
        node = nodes[step.id]
        targets += [(node, "buttons", c.to) for c in step.buttons if c.to]
        if step.next:
            targets.append((node, "next", step.next))
    targets += [(root, "anytime", c.to) for c in flow.anytime]
    for node, key, target in targets:
        if target != BACK and target not in steps:
            reader.error(node, f"'{key}' goes to unknown step '{target}'", key)
        if target == BACK and key != "buttons":
            reader.error(node, f"'{key}' cannot be 'back'", key)
    if flow.start not in steps:
        reader.error(root, f"'start' names unknown step '{flow.start}'", "start")
        return
    kinds = [s.kind for s in steps.values()]
    if kinds.count("sets") != 1:
        count = kinds.count("sets")
        reader.error(root, f"the session needs exactly one step of kind 'sets', has {count}", "steps")
    if "end" not in kinds:
        reader.error(root, "the session needs at least one step of kind 'end'", "steps")
    if steps[flow.start].final:
        reader.error(root, "the 'start' step cannot be an end or stop step", "start")
    succ = {sid: _successors(steps, flow.anytime, s) for sid, s in steps.items()}
    preds: dict[str, set[str]] = {sid: set() for sid in steps}
    for sid, outs in succ.items():
        for target in outs:
            preds[target].add(sid)
    seen, todo = {flow.start}, [flow.start]  # "back" only returns to a step seen before: not counted
    while todo:
        for target in succ[todo.pop()]:
            if target not in seen:
                seen.add(target)
                todo.append(target)
    for sid, step in steps.items():  # but for getting out, "back" may return to any step leading here
        if any(c.to == BACK for c in step.buttons):
            succ[sid] |= preds[sid]
    for sid in steps:
        if sid not in seen:
            reader.error(nodes[sid], f"step '{sid}' is never reached from the start step '{flow.start}'")
    finishing = {sid for sid, s in steps.items() if s.final}
    changed = True
    while changed:
        changed = False
        for sid in steps:
            if sid not in finishing and succ[sid] & finishing:
                finishing.add(sid)
                changed = True
    for sid in steps:
        if sid in seen and sid not in finishing:
            reader.error(nodes[sid], f"step '{sid}' is a dead end: no way from it to an end or stop step")


def read_flow(reader: FileReader) -> Flow | None:
    """Read and check `session:`; problems go to the reader, None if the file is unusable."""
    root = reader.load_root("session")
    if root is None:
        return None
    if not isinstance(root, Node):
        reader.error(None, "'session' must be a mapping")
        return None
    reader.unknown_keys(root, SESSION_FIELDS)
    nodes: dict[str, Node] = {}
    steps: dict[str, Step] = {}
    for node in reader.items(root.get("steps"), "steps", root):
        step = _read_step(reader, node)
        if step.id in steps:
            reader.error(node, f"duplicate step id '{step.id}' (first on line {steps[step.id].line})", "id")
        elif step.id:
            steps[step.id], nodes[step.id] = step, node
    anytime: list[Choice] = []
    raw = root.get("anytime", [])
    if not isinstance(raw, list):
        reader.error(root, "'anytime' must be a list of buttons", "anytime")
    else:
        anytime = [c for item in raw if (c := _read_choice(reader, item, root, False)) is not None]
    texts_node = root.get("texts")
    texts: dict[str, str] = {}
    if not isinstance(texts_node, Node):
        reader.error(root, "missing 'texts:' mapping", "texts")
    else:
        for key in TEXT_KEYS:
            if key not in texts_node:
                reader.error(texts_node, f"missing text '{key}'")
        for key in texts_node:
            limit = LABEL_LIMIT if key.endswith("_button") else None
            value = reader.text(texts_node, key, max_len=limit)
            _placeholders(reader, texts_node, key, value)
            _check_length(reader, texts_node, key, value)
            texts[key] = value
    flow = Flow(
        start=reader.text(root, "start"),
        steps=steps,
        anytime=tuple(anytime),
        texts=texts,
        rest_seconds=_int_setting(reader, root, "rest_seconds", 120, 1, 600),
        reps_buttons=_int_setting(reader, root, "reps_buttons", 8, 1, 15),
        max_typed_reps=_int_setting(reader, root, "max_typed_reps", 30, 1, 99),
    )
    if flow.reps_buttons > flow.max_typed_reps:
        reader.error(root, "'reps_buttons' cannot be more than 'max_typed_reps'", "reps_buttons")
    _check_graph(reader, root, flow, nodes)
    return flow


def load_flow(folder: Path) -> Flow:
    """Load `session.yaml` from a knowledge folder; raise KnowledgeError listing every problem."""
    path = Path(folder) / "session.yaml"
    problems: list[Problem] = []
    if not path.is_file():
        raise KnowledgeError([Problem(path, 1, "required file is missing")])
    flow = read_flow(FileReader(path, problems))
    if problems or flow is None:
        raise KnowledgeError(problems or [Problem(path, 1, "session.yaml is empty")])
    return flow


# ---------------------------------------------------------------- the state machine


@dataclass(frozen=True)
class State:
    """Where one user is: the step, the way back, which set comes next, and whether they rest."""

    step: str
    history: tuple[str, ...] = ()
    set_no: int = 1
    resting: bool = False
    done: bool = False


EventKind = Literal["press", "anytime", "reps", "skip", "rest_over", "back", "repeat"]


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


# ---------------------------------------------------------------- reading typed reps

_FILLER = {
    "rep", "reps", "repetition", "repetitions", "x", "i", "did", "done", "got", "managed", "made",
    "just", "only", "about", "around", "maybe", "like", "full", "good", "slow", "lowerings", "lowering",
    "times", "time", "of", "them", "it", "in", "this", "set", "that", "so", "ok", "okay", "total", "a", "an",
    "or", "to", "and",
}  # fmt: skip
_TOKEN = re.compile(r"-?\d+(?:[.,]\d+)?|[a-z]+")


Reps = int | Literal["bad", "none"]


def parse_reps(text: str) -> Reps:
    """A typed rep count: "3", "3 reps", "three", "III", "I did 4" -> int.

    "bad" means it looks like a count but is not one we can log (negative, a fraction, two different
    numbers); "none" means it is not about a count at all (likely a question).
    """
    lowered = text.strip().lower().rstrip("!.")
    if not lowered or "?" in lowered:
        return "none"
    whole = lowered.replace(" ", "")
    if len(whole) <= 8 and whole.isalpha() and (value := roman(whole)) is not None:
        return value
    numbers: list[int] = []
    bad = False
    for token in _TOKEN.findall(lowered):
        if token[0].isdigit() or token[0] == "-":
            if token.startswith("-") or "." in token or "," in token:
                bad = True
            else:
                numbers.append(int(token))
        elif token in NUMBER_WORDS:
            numbers.append(NUMBER_WORDS[token])
        elif token not in _FILLER:
            return "none"
    if bad:
        return "bad"
    if not numbers:
        return "none"
    if len(set(numbers)) > 1:
        return "bad"
    return numbers[0]
