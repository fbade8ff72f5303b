"""The check-in plan: `bot/knowledge/data/checkins.yaml` read and checked, every problem named by file:line.

What to ask when (the schedule and its conditional steps), what to advise for each score band, the
default quiet hours, snooze and answer windows, and the texts a coach can edit without code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time, timedelta
from pathlib import Path

from bot.checkins.quiet_hours import parse_clock
from bot.checkins.scores import MAX_SCORE
from bot.checkins.timezones import canonical_zone
from bot.knowledge.schema import FileReader
from bot.knowledge.yamlfile import KnowledgeError, Node, Problem

FILE_NAME = "checkins.yaml"
ROOT_KEYS = set(
    "quiet_hours snooze_hours snooze_limit answer_window_hours heavy_score schedule advice"
    " red_flag_followup heavy_twice timezone_buttons texts".split()
)
BUTTON_TEXTS = (*"button_snooze button_stop button_optin button_fine button_timezone button_undo".split(),)
REQUIRED_TEXTS = (
    *BUTTON_TEXTS,
    *"optin_done optin_need_timezone stopped scheduled_after_session list_header list_empty list_off"
    " list_never settings_line held_line answered corrected not_a_score out_of_range expired snoozed"
    " snooze_limit timezone_prompt timezone_set timezone_unknown quiet_set quiet_bad fine_done"
    " fine_not_held when_format score_name score_kept score_undone nothing_to_undo".split(),
)
DEFAULT_QUIET = (time(22, 0), time(8, 0))


@dataclass(frozen=True)
class Step:
    """One check-in of the series: `offset_hours` after the session ends."""

    id: str
    offset_hours: float
    question: str
    only_if: tuple[str, int] | None = None  # (earlier step id, minimum score there)


@dataclass(frozen=True)
class Band:
    id: str
    low: int
    high: int
    text: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class CheckinPlan:
    """Everything `bot/knowledge/data/checkins.yaml` says, already checked."""

    steps: tuple[Step, ...]
    bands: tuple[Band, ...]
    red_flag_followup: str
    heavy_twice: str
    texts: dict[str, str]
    quiet_start: time = time(22, 0)
    quiet_end: time = time(8, 0)
    snooze_hours: float = 2.0
    snooze_limit: int = 3
    answer_window_hours: float = 20.0
    heavy_score: int = 8
    timezone_buttons: tuple[str, ...] = field(default=())

    @property
    def answer_window(self) -> timedelta:
        """How long a sent check-in can be answered (and a score corrected)."""
        return timedelta(hours=self.answer_window_hours)

    def step(self, step_id: str) -> Step | None:
        return next((s for s in self.steps if s.id == step_id), None)

    def first_steps(self) -> tuple[Step, ...]:
        """Steps scheduled when a session ends; conditional ones wait for their condition."""
        return tuple(s for s in self.steps if s.only_if is None)

    def followers(self, step_id: str, score: int) -> tuple[Step, ...]:
        """Conditional steps unlocked by `score` at `step_id` (the 72-h check-in after 48 h >= 4)."""
        return tuple(s for s in self.steps if s.only_if and s.only_if[0] == step_id and score >= s.only_if[1])

    def band(self, score: int) -> Band:
        return next(b for b in self.bands if b.low <= score <= b.high)


def _number(reader: FileReader, node: Node, key: str, default: float, *, low: float, high: float) -> float:
    value = node.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        reader.error(node, f"'{key}' must be a number from {low:g} to {high:g}, got {value!r:.40}", key)
        return default
    return float(value)


def _clock(reader: FileReader, node: Node, key: str, default: time) -> time:
    value = node.get(key)
    if value is None:
        reader.error(node, f"missing field '{key}'")
        return default
    parsed = parse_clock(value) if isinstance(value, str) else None
    if parsed is None:
        reader.error(node, f"'{key}' must be a quoted 24-hour time like \"22:00\", got {value!r:.40}", key)
        return default
    return parsed


def _read_steps(reader: FileReader, root: Node) -> list[tuple[Node, Step]]:
    out: list[tuple[Node, Step]] = []
    for node in reader.items(root.get("schedule"), "schedule", at=root):
        reader.unknown_keys(node, {"id", "offset_hours", "question", "only_if"})
        only_if = None
        cond = node.get("only_if")
        if cond is not None:
            if not isinstance(cond, Node):
                reader.error(node, "'only_if' must be a mapping {checkin: ID, min_score: N}", "only_if")
            else:
                reader.unknown_keys(cond, {"checkin", "min_score"})
                minimum = _number(reader, cond, "min_score", 0, low=0, high=MAX_SCORE)
                if minimum != int(minimum):
                    reader.error(cond, "'min_score' must be a whole number", "min_score")
                only_if = (reader.text(cond, "checkin"), int(minimum))
        step = Step(
            id=reader.ident(node),
            offset_hours=_number(reader, node, "offset_hours", -1, low=1, high=24 * 14),
            question=reader.text(node, "question", max_len=600),
            only_if=only_if,
        )
        out.append((node, step))
    seen: dict[str, Step] = {}
    previous = 0.0
    for node, step in out:
        if step.id in seen:
            reader.error(node, f"duplicate check-in id '{step.id}'", "id")
        if step.offset_hours <= previous:
            reader.error(node, "offsets must grow from one check-in to the next", "offset_hours")
        previous = max(previous, step.offset_hours)
        if step.only_if and step.only_if[0] not in seen:
            reader.error(node, f"'only_if' must name an earlier check-in, not '{step.only_if[0]}'", "only_if")
        seen[step.id] = step
    if out and all(s.only_if for _, s in out):
        reader.error(root, "at least one check-in must be unconditional", "schedule")
    return out


def _read_bands(reader: FileReader, root: Node, source_ids: set[str] | None) -> list[Band]:
    bands: list[tuple[Node, Band]] = []
    for node in reader.items(root.get("advice"), "advice", at=root):
        reader.unknown_keys(node, {"id", "min", "max", "text", "source"})
        low = _number(reader, node, "min", 0, low=0, high=MAX_SCORE)
        high = _number(reader, node, "max", MAX_SCORE, low=0, high=MAX_SCORE)
        if low != int(low) or high != int(high) or low > high:
            reader.error(node, "'min' and 'max' must be whole numbers with min <= max", "min")
        sources = tuple(reader.text_list(node, "source", min_items=1))
        for ref in sources:
            if source_ids is not None and ref not in source_ids:
                reader.error(node, f"unknown source '{ref}' (see sources.yaml)", "source")
        band = Band(reader.ident(node), int(low), int(high), reader.text(node, "text", max_len=1500), sources)
        bands.append((node, band))
    covered = [0] * (MAX_SCORE + 1)
    for _, band in bands:
        for score in range(band.low, band.high + 1):
            covered[score] += 1
    gaps = [str(s) for s, n in enumerate(covered) if n == 0]
    overlaps = [str(s) for s, n in enumerate(covered) if n > 1]
    if bands and gaps:
        reader.error(root, f"advice bands leave scores without advice: {', '.join(gaps)}", "advice")
    if overlaps:
        reader.error(root, f"advice bands overlap at scores: {', '.join(overlaps)}", "advice")
    return [b for _, b in bands]


def load_checkins(folder: Path, source_ids: set[str] | None = None) -> CheckinPlan:
    """Load and check `checkins.yaml`; raise KnowledgeError listing every `file:line` problem.

    `source_ids` (from sources.yaml) lets advice bands be checked against real sources.
    """
    problems: list[Problem] = []
    reader = FileReader.required(folder, FILE_NAME, problems)
    root = reader.load_root("checkins")
    if not isinstance(root, Node):
        if root is not None:
            reader.error(None, "'checkins' must be a mapping")
        raise KnowledgeError(problems)
    reader.unknown_keys(root, ROOT_KEYS)
    plan = _read_plan(reader, root, source_ids)
    if problems:
        raise KnowledgeError(problems)
    return plan


def _read_plan(reader: FileReader, root: Node, source_ids: set[str] | None) -> CheckinPlan:
    """Every part of the plan, problems reported in the order the file is read."""
    start, end = _read_quiet(reader, root)
    steps = _read_steps(reader, root)
    bands = _read_bands(reader, root, source_ids)
    texts = reader.texts(root, REQUIRED_TEXTS, BUTTON_TEXTS, max_len=1500)
    zones = _read_zones(reader, root)
    limit = _number(reader, root, "snooze_limit", 3, low=0, high=20)
    plan = CheckinPlan(
        steps=tuple(s for _, s in steps),
        bands=tuple(bands),
        red_flag_followup=reader.text(root, "red_flag_followup", max_len=1500),
        heavy_twice=reader.text(root, "heavy_twice", max_len=1500),
        texts=texts,
        quiet_start=start,
        quiet_end=end,
        snooze_hours=_number(reader, root, "snooze_hours", 2, low=0.25, high=24),
        snooze_limit=int(limit),
        answer_window_hours=_number(reader, root, "answer_window_hours", 20, low=1, high=72),
        heavy_score=int(_number(reader, root, "heavy_score", 8, low=1, high=MAX_SCORE)),
        timezone_buttons=zones,
    )
    if not steps and "schedule" in root:
        reader.error(root, "'schedule' needs at least one check-in", "schedule")
    return plan


def _read_quiet(reader: FileReader, root: Node) -> tuple[time, time]:
    quiet = root.get("quiet_hours")
    start, end = DEFAULT_QUIET
    if isinstance(quiet, Node):
        reader.unknown_keys(quiet, {"start", "end"})
        start, end = _clock(reader, quiet, "start", start), _clock(reader, quiet, "end", end)
    else:
        reader.error(root, '\'quiet_hours\' must be a mapping {start: "22:00", end: "08:00"}', "quiet_hours")
    return start, end


def _read_zones(reader: FileReader, root: Node) -> tuple[str, ...]:
    zones = reader.text_list(root, "timezone_buttons", min_items=1)
    for name in zones:
        if canonical_zone(name) != name:
            reader.error(root, f"timezone_buttons: '{name}' is not a time zone name", "timezone_buttons")
    return tuple(zones)
