"""Read `bot/knowledge/data/session.yaml` into a `Flow`, reporting every problem with its file:line.

A coach edits this file, not a coder: every field is checked (known keys, kinds, ids, placeholders,
texts short enough for a phone on the floor once filled in) and `bot.session.graph` checks the steps
join up, so a broken edit is refused at start-up or by `hamcoach check`, never mid-session.
"""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

from bot.knowledge.schema import ID_PATTERN, FileReader
from bot.knowledge.texts import fill
from bot.knowledge.yamlfile import KnowledgeError, Node, Problem
from bot.session.flow import KINDS, Choice, Flow, Step
from bot.session.graph import check_graph

MESSAGE_LIMIT = 400  # characters a step message may have, after its placeholders are filled
LABEL_LIMIT = 40
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
    "reps_name",
    "undo_button",
    "undone",
    "nothing_to_undo",
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
SESSION_FIELDS = {
    "start",
    "rest_seconds",
    "reps_buttons",
    "max_typed_reps",
    "step_back_days",
    "anytime",
    "steps",
    "texts",
}


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


def _read_choices(reader: FileReader, raw: list[Any], at: Node, allow_data: bool) -> list[Choice]:
    return [c for item in raw if (c := _read_choice(reader, item, at, allow_data)) is not None]


def _read_step(reader: FileReader, node: Node) -> Step:
    """The step's fields as written; `_check_step` then says what is wrong with them together."""
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
            buttons = _read_choices(reader, raw, node, final)
    anytime = node.get("anytime", kind in ("info", "sets"))
    if not isinstance(anytime, bool):
        reader.error(node, "'anytime' must be true or false", "anytime")
        anytime = True
    more = tuple(reader.text_list(node, "more", required=False))
    return Step(
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


def _check_step(reader: FileReader, node: Node, step: Step) -> None:
    """Placeholders, lengths and which fields fit which kind of step."""
    kind, title = step.kind, step.title
    for key, value in (("title", title), ("text", step.text), ("rest_text", step.rest_text)):
        if value:
            _placeholders(reader, node, key, value)
    for value in step.more:
        _placeholders(reader, node, "more", value)
        _check_length(reader, node, "more", value)
    for key, value in (("text", step.text), ("rest_text", step.rest_text)):
        if value:
            _check_length(reader, node, key, value, extra=len(fill(title, WORST)) + 1)
    if kind == "info" and not step.buttons:
        reader.error(
            node, f"step '{step.id}' has no buttons: a dead end (add buttons or make it an end step)"
        )
    if kind == "sets" and step.buttons:
        reader.error(node, "a sets step makes its own buttons (reps); remove 'buttons'", "buttons")
    if kind != "sets" and (node.get("next") is not None or node.get("rest_text") is not None):
        reader.error(node, "'next' and 'rest_text' belong to the sets step only")
    if step.reason and kind != "stop":
        reader.error(node, "'reason' belongs to stop steps only", "reason")
    if step.reason and not ID_PATTERN.match(step.reason):
        reader.error(node, "'reason' must be a short id such as pain or user", "reason")
    if step.more and kind != "end":
        reader.error(node, "'more' messages belong to end steps only", "more")


def _read_steps(reader: FileReader, root: Node) -> tuple[dict[str, Step], dict[str, Node]]:
    """Steps by id, with the YAML node of each for the graph check's line numbers."""
    nodes: dict[str, Node] = {}
    steps: dict[str, Step] = {}
    for node in reader.items(root.get("steps"), "steps", root):
        step = _read_step(reader, node)
        _check_step(reader, node, step)
        if step.id in steps:
            reader.error(node, f"duplicate step id '{step.id}' (first on line {steps[step.id].line})", "id")
        elif step.id:
            steps[step.id], nodes[step.id] = step, node
    return steps, nodes


def _read_texts(reader: FileReader, root: Node) -> dict[str, str]:
    texts_node = root.get("texts")
    texts: dict[str, str] = {}
    if not isinstance(texts_node, Node):
        reader.error(root, "missing 'texts:' mapping", "texts")
        return texts
    for key in TEXT_KEYS:
        if key not in texts_node:
            reader.error(texts_node, f"missing text '{key}'")
    for key in texts_node:
        limit = LABEL_LIMIT if key.endswith("_button") else None
        value = reader.text(texts_node, key, max_len=limit)
        _placeholders(reader, texts_node, key, value)
        _check_length(reader, texts_node, key, value)
        texts[key] = value
    return texts


def _int_setting(reader: FileReader, node: Node, key: str, default: int, low: int, high: int) -> int:
    value = node.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        reader.error(node, f"'{key}' must be a whole number from {low} to {high}, got {value!r}", key)
        return default
    return value


def read_flow(reader: FileReader) -> Flow | None:
    """Read and check `session:`; problems go to the reader, None if the file is unusable."""
    root = reader.load_root("session")
    if root is None:
        return None
    if not isinstance(root, Node):
        reader.error(None, "'session' must be a mapping")
        return None
    reader.unknown_keys(root, SESSION_FIELDS)
    steps, nodes = _read_steps(reader, root)
    anytime: list[Choice] = []
    raw = root.get("anytime", [])
    if not isinstance(raw, list):
        reader.error(root, "'anytime' must be a list of buttons", "anytime")
    else:
        anytime = _read_choices(reader, raw, root, False)
    texts = _read_texts(reader, root)
    flow = Flow(
        start=reader.text(root, "start"),
        steps=steps,
        anytime=tuple(anytime),
        texts=texts,
        rest_seconds=_int_setting(reader, root, "rest_seconds", 120, 1, 600),
        reps_buttons=_int_setting(reader, root, "reps_buttons", 8, 1, 15),
        max_typed_reps=_int_setting(reader, root, "max_typed_reps", 30, 1, 99),
        step_back_days=_int_setting(reader, root, "step_back_days", 14, 7, 60),
    )
    if flow.reps_buttons > flow.max_typed_reps:
        reader.error(root, "'reps_buttons' cannot be more than 'max_typed_reps'", "reps_buttons")
    check_graph(reader, root, flow, nodes)
    return flow


def load_flow(folder: Path) -> Flow:
    """Load `session.yaml` from a knowledge folder; raise KnowledgeError listing every problem."""
    problems: list[Problem] = []
    reader = FileReader.required(folder, "session.yaml", problems)
    flow = read_flow(reader)
    if problems or flow is None:
        raise KnowledgeError(problems or [Problem(reader.path, 1, "session.yaml is empty")])
    return flow
