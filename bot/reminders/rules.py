"""`bot/knowledge/data/reminders.yaml` read and checked: the choices offered per sessions a week, the
texts and buttons, snooze, grace and the missed-session gap. Every problem is named by file:line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from bot.knowledge.schema import FileReader
from bot.knowledge.yamlfile import KnowledgeError, Node, Problem
from bot.reminders.schedule import Rule, parse_rule

FILE_NAME = "reminders.yaml"
ROOT_KEYS = {"snooze_hours", "grace_hours", "missed_after_days", "missed_source", "choices", "texts"}
BUTTON_TEXTS = ("button_start", "button_snooze", "button_skip", "button_change", "button_off")
REQUIRED_TEXTS = (
    *BUTTON_TEXTS,
    *"offer once many ping ping_maintenance missed missed_back set no_zone quiet_note show is_off"
    " turned_off already_off snoozed skipped passed bad every_day days_at when_format".split(),
)


@dataclass(frozen=True)
class ReminderRules:
    """Everything reminders.yaml says, already checked."""

    texts: dict[str, str]
    choices: dict[int, tuple[Rule, ...]]  # sessions a week -> the rules offered
    snooze_hours: float = 1.0
    grace_hours: float = 2.0
    missed_after_days: int = 8
    missed_source: str = ""
    labels: dict[str, str] = field(default_factory=dict)  # rule code -> how the YAML wrote it

    @property
    def snooze(self) -> timedelta:
        return timedelta(hours=self.snooze_hours)

    @property
    def grace(self) -> timedelta:
        return timedelta(hours=self.grace_hours)

    def offered(self, per_week: int) -> tuple[Rule, ...]:
        """The choices for `per_week` sessions a week, else those of the nearest smaller count."""
        known = sorted(k for k in self.choices if k <= per_week) or sorted(self.choices)
        return self.choices[known[-1]] if known else ()


def _number(reader: FileReader, node: Node, key: str, default: float, low: float, high: float) -> float:
    value = node.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        reader.error(node, f"'{key}' must be a number from {low:g} to {high:g}, got {value!r:.40}", key)
        return default
    return float(value)


def _read_choices(reader: FileReader, root: Node) -> tuple[dict[int, tuple[Rule, ...]], dict[str, str]]:
    node = root.get("choices")
    if not isinstance(node, Node):
        reader.error(
            root, "'choices' must map sessions a week (1, 2, 3) to lists of days and a time", "choices"
        )
        return {}, {}
    choices: dict[int, tuple[Rule, ...]] = {}
    labels: dict[str, str] = {}
    for key in node:
        if not (key.isdigit() and 1 <= int(key) <= 7):
            reader.error(node, f"'choices' keys are sessions a week from 1 to 7, not {key!r:.20}", key)
            continue
        rules = []
        for text in reader.text_list(node, key, min_items=1):
            rule = parse_rule(text)
            if rule is None:
                reader.error(node, f"choice '{text:.40}' is not days and a time like \"Mon Thu 18:00\"", key)
            elif len(text) > 40:
                reader.error(node, f"choice '{text:.40}' is longer than a 40-character button", key)
            else:
                rules.append(rule)
                labels[rule.code] = text
        choices[int(key)] = tuple(rules)
    return choices, labels


def load_reminders(folder: Path, source_ids: set[str] | None = None) -> ReminderRules:
    """Load and check `reminders.yaml`; raise KnowledgeError listing every `file:line` problem."""
    problems: list[Problem] = []
    reader = FileReader.required(folder, FILE_NAME, problems)
    root = reader.load_root("reminders")
    if not isinstance(root, Node):
        if root is not None:
            reader.error(None, "'reminders' must be a mapping")
        raise KnowledgeError(problems)
    reader.unknown_keys(root, ROOT_KEYS)
    choices, labels = _read_choices(reader, root)
    source = reader.text(root, "missed_source")
    if source_ids is not None and source and source not in source_ids:
        reader.error(root, f"unknown source '{source}' (see sources.yaml)", "missed_source")
    rules = ReminderRules(
        texts=reader.texts(root, REQUIRED_TEXTS, BUTTON_TEXTS, max_len=1000),
        choices=choices,
        snooze_hours=_number(reader, root, "snooze_hours", 1, 0.25, 12),
        grace_hours=_number(reader, root, "grace_hours", 2, 0.1, 24),
        missed_after_days=int(_number(reader, root, "missed_after_days", 8, 2, 60)),
        missed_source=source,
        labels=labels,
    )
    if problems:
        raise KnowledgeError(problems)
    return rules
