"""DOMS check-in policy: when to ask, what to ask, what to advise, and how to read the answer.

Pure functions and the validated `bot/knowledge/data/checkins.yaml`; no Telegram and no scheduling here, so
the rules (quiet hours across daylight-saving changes, score parsing, time-zone names) are tested
directly. The session feature asks `CheckinReadiness` (the core's Readiness) before planning the next session.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, available_timezones

from bot.checkins.store import CheckinStore
from bot.core.coach import Clock
from bot.core.numbers import NUMBER_WORDS
from bot.knowledge.schema import FileReader
from bot.knowledge.yamlfile import KnowledgeError, Node, Problem
from bot.storage.database import Store

FILE_NAME = "checkins.yaml"
MAX_SCORE = 10
RECENT_DAYS = 7  # DOMS resolves in about 5-7 days (Cheung 2003): older scores say nothing about today

REQUIRED_TEXTS = (
    "button_snooze",
    "button_stop",
    "button_optin",
    "button_fine",
    "button_timezone",
    "optin_done",
    "optin_need_timezone",
    "stopped",
    "scheduled_after_session",
    "list_header",
    "list_empty",
    "list_off",
    "list_never",
    "settings_line",
    "held_line",
    "answered",
    "corrected",
    "not_a_score",
    "out_of_range",
    "expired",
    "snoozed",
    "snooze_limit",
    "timezone_prompt",
    "timezone_set",
    "timezone_unknown",
    "quiet_set",
    "quiet_bad",
    "fine_done",
    "fine_not_held",
    "when_format",
)


# ---------------------------------------------------------------------------- the plan from YAML


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


TIME_PATTERN = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def parse_clock(text: str) -> time | None:
    """'22:00' -> time(22, 0); None when it is not a 24-hour clock time."""
    match = TIME_PATTERN.match(text.strip())
    return time(int(match.group(1)), int(match.group(2))) if match else None


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


def _read_texts(reader: FileReader, root: Node) -> dict[str, str]:
    node = root.get("texts")
    if not isinstance(node, Node):
        reader.error(root, "'texts' must be a mapping of name: text", "texts")
        return {}
    texts = {key: reader.text(node, key, max_len=1500) for key in node}
    for key in REQUIRED_TEXTS:
        if key not in node:
            reader.error(node, f"missing text '{key}'")
    for key in ("button_snooze", "button_stop", "button_optin", "button_fine", "button_timezone"):
        if len(texts.get(key, "")) > 40:
            reader.error(node, f"button text '{key}' is longer than 40 characters", key)
    return texts


def load_checkins(folder: Path, source_ids: set[str] | None = None) -> CheckinPlan:
    """Load and check `checkins.yaml`; raise KnowledgeError listing every `file:line` problem.

    `source_ids` (from sources.yaml) lets advice bands be checked against real sources.
    """
    problems: list[Problem] = []
    path = Path(folder) / FILE_NAME
    if not path.is_file():
        raise KnowledgeError([Problem(path, 1, "required file is missing")])
    reader = FileReader(path, problems)
    root = reader.load_root("checkins")
    if not isinstance(root, Node):
        if root is not None:
            reader.error(None, "'checkins' must be a mapping")
        raise KnowledgeError(problems)
    allowed = {
        "quiet_hours",
        "snooze_hours",
        "snooze_limit",
        "answer_window_hours",
        "heavy_score",
        "schedule",
        "advice",
        "red_flag_followup",
        "heavy_twice",
        "timezone_buttons",
        "texts",
    }
    reader.unknown_keys(root, allowed)
    quiet = root.get("quiet_hours")
    start, end = time(22, 0), time(8, 0)
    if isinstance(quiet, Node):
        reader.unknown_keys(quiet, {"start", "end"})
        start, end = _clock(reader, quiet, "start", start), _clock(reader, quiet, "end", end)
    else:
        reader.error(root, '\'quiet_hours\' must be a mapping {start: "22:00", end: "08:00"}', "quiet_hours")
    steps = _read_steps(reader, root)
    bands = _read_bands(reader, root, source_ids)
    texts = _read_texts(reader, root)
    zones = reader.text_list(root, "timezone_buttons", min_items=1)
    for name in zones:
        if canonical_zone(name) != name:
            reader.error(root, f"timezone_buttons: '{name}' is not a time zone name", "timezone_buttons")
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
        timezone_buttons=tuple(zones),
    )
    if not steps and "schedule" in root:
        reader.error(root, "'schedule' needs at least one check-in", "schedule")
    if problems:
        raise KnowledgeError(problems)
    return plan


# ---------------------------------------------------------------------------- time zones


OFFSET_PATTERN = re.compile(r"^(?:utc|gmt)?\s*([+-])\s*(\d{1,2})(?:[:.h]?(\d{2}))?$")
UTC_NAMES = {"utc", "gmt", "z", "zulu", "utc+0", "utc-0", "gmt+0", "gmt-0", "+0", "-0", "0"}


@functools.cache
def _zone_lookup() -> dict[str, str]:
    """Casefolded full names and city parts ('new york', 'berlin') to canonical zone names."""
    names = sorted(
        n
        for n in available_timezones()
        if not n.startswith(("posix/", "right/", "Etc/")) and n != "localtime"
    )
    lookup: dict[str, str] = {}
    for name in names:
        lookup.setdefault(name.casefold(), name)
    for name in names:
        if "/" in name:
            city = name.rsplit("/", 1)[1].replace("_", " ").casefold()
            lookup.setdefault(city, name)
    return lookup


def canonical_zone(text: str) -> str | None:
    """The stored name for what a user typed: 'Europe/Berlin', 'UTC+05:30', 'UTC'; None if unknown."""
    cleaned = " ".join(text.strip().split())
    folded = cleaned.casefold()
    if not folded or len(folded) > 64:
        return None
    if folded in UTC_NAMES:
        return "UTC"
    match = OFFSET_PATTERN.match(folded)
    if match:
        sign, hours, minutes = match.group(1), int(match.group(2)), int(match.group(3) or 0)
        total = hours * 60 + minutes
        if (
            minutes not in (0, 15, 30, 45)
            or (sign == "+" and total > 14 * 60)
            or (sign == "-" and total > 12 * 60)
        ):
            return None
        return "UTC" if total == 0 else f"UTC{sign}{hours:02d}:{minutes:02d}"
    key = folded.replace("_", " ")
    lookup = _zone_lookup()
    return lookup.get(folded) or lookup.get(key) or lookup.get(key.replace(" ", "_"))


def zone(name: str | None) -> tzinfo:
    """The tzinfo for a stored name; unknown or unset means UTC (never raises)."""
    if not name or name == "UTC":
        return UTC
    match = re.fullmatch(r"UTC([+-])(\d{2}):(\d{2})", name)
    if match:
        delta = timedelta(hours=int(match.group(2)), minutes=int(match.group(3)))
        return timezone(delta if match.group(1) == "+" else -delta, name)
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        return UTC


# ---------------------------------------------------------------------------- quiet hours


def in_quiet_hours(local: time, start: time, end: time) -> bool:
    """Whether a local clock time falls in [start, end), the window possibly crossing midnight."""
    if start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end


def after_quiet_hours(when: datetime, tz: tzinfo, start: time, end: time) -> datetime:
    """`when` (aware) moved to the end of the user's quiet hours if it falls inside them, in UTC.

    Local wall-clock arithmetic through zoneinfo, so 08:00 stays 08:00 across a daylight-saving change.
    """
    local = when.astimezone(tz)
    clock = local.time().replace(tzinfo=None)
    if not in_quiet_hours(clock, start, end):
        return when.astimezone(UTC)
    day: date = local.date()
    if start > end and clock >= start:
        day += timedelta(days=1)
    return datetime.combine(day, end, tzinfo=tz).astimezone(UTC)


# ---------------------------------------------------------------------------- scores


FILLER = {
    "about",
    "around",
    "maybe",
    "probably",
    "roughly",
    "like",
    "say",
    "i'd",
    "id",
    "i",
    "would",
    "it's",
    "its",
    "it",
    "is",
    "a",
    "an",
    "my",
    "score",
    "soreness",
    "sore",
    "hmm",
    "um",
    "uh",
    "ok",
    "okay",
    "so",
    "solid",
    "strong",
    "now",
    "today",
    "right",
    "currently",
    "level",
    "rate",
    "rating",
    "just",
}
TOKEN = re.compile(r"-?\d+(?:[.,]\d+)?|[a-z']+|/")


@dataclass(frozen=True)
class ScoreReading:
    """What a typed answer says: a score, a number outside 0-10, or no score at all."""

    kind: Literal["score", "out_of_range", "not_a_score"]
    score: int | None = None


def _value(token: str) -> float | None:
    if token in NUMBER_WORDS:
        return float(NUMBER_WORDS[token])
    try:
        value = float(token.replace(",", "."))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def parse_score(text: str) -> ScoreReading:
    """Read '7', '7/10', 'seven', 'about 7 out of 10', '6.5'; halves round up, like a person would."""
    tokens = [t for t in TOKEN.findall(text.casefold()[:200]) if t not in FILLER]
    if tokens[-3:] in (["out", "of", "10"], ["out", "of", "ten"]):
        tokens = [*tokens[:-3], "/", "10"]
    elif tokens[-2:] in (["of", "10"], ["of", "ten"]):
        tokens = [*tokens[:-2], "/", "10"]
    scale = None
    if len(tokens) == 3 and tokens[1] == "/":
        scale = _value(tokens[2])
        tokens = tokens[:1]
    if len(tokens) != 1:
        return ScoreReading("not_a_score")
    value = _value(tokens[0])
    if value is None:
        return ScoreReading("not_a_score")
    if scale is not None and scale != MAX_SCORE:
        return ScoreReading("out_of_range")
    if not 0 <= value <= MAX_SCORE:
        return ScoreReading("out_of_range")
    return ScoreReading("score", min(MAX_SCORE, math.floor(value + 0.5)))


# ---------------------------------------------------------------------------- for the session feature


def latest_soreness(store: Store, user_id: int, now: datetime | None = None) -> int | None:
    """The user's latest soreness score (0-10) from the last 7 days, or None.

    bot/session/progression.py uses it to set the next session (lighter when very sore).
    """
    now = now or datetime.now(UTC)
    if not store.db.table("soreness").exists():
        return None
    scores = CheckinStore(store.db).scores(user_id, now - timedelta(days=RECENT_DAYS), limit=1)
    return scores[0] if scores else None


def held(store: Store, user_id: int) -> bool:
    """True while a red flag holds the next session (until the user presses "I'm fine now")."""
    if not store.db.table("user_settings").exists():
        return False
    return CheckinStore(store.db).settings(user_id).held_since is not None


@dataclass(frozen=True)
class CheckinReadiness:
    """The core's Readiness read from check-in rows, so the session feature plans without importing us."""

    store: Store
    clock: Clock

    def soreness(self, user_id: int) -> int | None:
        return latest_soreness(self.store, user_id, self.clock())

    def held(self, user_id: int) -> bool:
        return held(self.store, user_id)


def needs_rest(store: Store, user_id: int, heavy: int = 8, now: datetime | None = None) -> bool:
    """Two latest scores (last 7 days) both `heavy` or more: suggest rest and a lighter next session."""
    now = now or datetime.now(UTC)
    if not store.db.table("soreness").exists():
        return False
    scores = CheckinStore(store.db).scores(user_id, now - timedelta(days=RECENT_DAYS), limit=2)
    return len(scores) == 2 and all(s >= heavy for s in scores)
