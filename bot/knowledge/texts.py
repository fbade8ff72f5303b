"""User-facing texts from `bot/knowledge/data/texts.yaml`, so a coach can reword the bot without code."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.knowledge.schema import FileReader
from bot.knowledge.yamlfile import Node

REQUIRED = (
    "welcome",
    "help",
    "dont_know",
    "topics_intro",
    "unsupported",
    "empty",
    "too_long",
    "error",
    "unknown_command",
    "stale_button",
    "edited",
    "safety_intro",
    "warning_signs",
    "button_topics",
    "button_help",
    "subscribed",
    "already_subscribed",
    "unsubscribed",
    "not_subscribed",
    "no_updates",
    "no_updates_subscribed",
    "not_admin",
    "button_subscribe",
    "button_unsubscribe",
    "voice_heard",
    "voice_unclear",
    "voice_unreadable",
    "voice_too_long",
    "voice_too_large",
    "group_private",
    "flood",
    "button_forget_yes",
    "button_forget_no",
    "forget_confirm",
    "forget_done",
    "forget_kept",
    "number_taken",
    "confirm",
    "confirm_yes",
    "confirm_no",
    "confirm_declined",
    "narrow",
    "spoken_on",
    "spoken_off",
    "spoken_state_on",
    "spoken_state_off",
    "spoken_usage",
    "spoken_unavailable",
    "button_spoken_on",
    "button_spoken_off",
)


@dataclass(frozen=True)
class Texts:
    """Plain-text strings keyed by name; adapters escape them before sending."""

    values: dict[str, str]

    def __getitem__(self, key: str) -> str:
        return self.values[key]

    def get(self, key: str, default: str = "") -> str:
        return self.values.get(key, default)


def read_texts(reader: FileReader) -> Texts | None:
    """Read `texts:`; every REQUIRED key must be there, extra keys are allowed for features."""
    root = reader.load_root("texts")
    if root is None:
        return None
    if not isinstance(root, Node):
        reader.error(None, "'texts' must be a mapping of name: text")
        return None
    values = {key: reader.text(root, key, max_len=3000) for key in root}
    for key in REQUIRED:
        if key not in root:
            reader.error(root, f"missing text '{key}'")
    return Texts(values)


class _Keep(dict[str, object]):
    """Unknown placeholders stay as written, so a typo shows instead of crashing a reply."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fill(template: str, values: Mapping[str, object] | None = None, /, **named: object) -> str:
    """Fill the `{name}` placeholders of a coach-written text (from `values` and/or keywords);
    unknown ones are left as they are. Texts with stray braces (validation normally refuses them)
    still get the known names replaced."""
    values = {**(values or {}), **named}
    try:
        return template.format_map(_Keep(values))
    except (ValueError, IndexError, AttributeError):
        out = template
        for key, value in values.items():
            out = out.replace("{" + key + "}", str(value))
        return out
