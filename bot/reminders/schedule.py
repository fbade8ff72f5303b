"""When a reminder is due: days of the week and a local time, read from what a user typed and turned
into the next moment on their wall clock. Pure functions (no database, no clock), tested directly,
daylight-saving changes included: 18:00 stays 18:00 local when the clocks change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_FULL = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WORDS = {
    **{name.lower(): i for i, name in enumerate(DAY_NAMES)},
    **{name: i for i, name in enumerate(_FULL)},
    **{name + "s": i for i, name in enumerate(_FULL)},
    "tues": 1,
    "weds": 2,
    "thur": 3,
    "thurs": 3,
}
_GROUPS = {"weekdays": (0, 1, 2, 3, 4), "weekends": (5, 6), "daily": tuple(range(7))}
_TIME = re.compile(r"^(\d{1,2})(?:[:.h](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?$")
_FILLER = {"and", "at", "on", "every", "each", "day", "days", "remind", "me", "please", "o", "oclock"}
_HOURS = "one two three four five six seven eight nine ten eleven twelve".split()
_MINUTES = {"fifteen": 15, "thirty": 30, "forty five": 45, "forty-five": 45, "oclock": 0, "o'clock": 0}
_SPOKEN = re.compile(r"\b(" + "|".join(_HOURS) + r")(?:\s+(" + "|".join(_MINUTES) + r"))?(?=\s*(?:am|pm)?\b)")
LOOKAHEAD_DAYS = 8  # one week and a day always holds the next slot


@dataclass(frozen=True)
class Rule:
    """Days of the week (0 = Monday) and a local time."""

    days: tuple[int, ...]
    at: time

    @property
    def code(self) -> str:
        """ "024" + "1800": short enough for callback data."""
        return "".join(str(d) for d in self.days) + ":" + self.at.strftime("%H%M")

    @classmethod
    def from_code(cls, code: str) -> Rule | None:
        days, _, clock = code.partition(":")
        if not days.isdigit() or not clock.isdigit() or len(clock) != 4:
            return None
        hour, minute = int(clock[:2]), int(clock[2:])
        picked = tuple(sorted({int(d) for d in days}))
        if any(d > 6 for d in picked) or hour > 23 or minute > 59:
            return None
        return cls(picked, time(hour, minute))

    def days_text(self) -> str:
        return " ".join(DAY_NAMES[d] for d in self.days)


def _clock(token: str) -> time | None:
    match = _TIME.match(token)
    if not match:
        return None
    hour, minute, half = int(match.group(1)), int(match.group(2) or 0), (match.group(3) or "")[:1]
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "p" else 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def _digits(match: re.Match[str]) -> str:
    """A spoken time as digits: "six thirty" -> "6:30" (recognisers spell numbers out)."""
    return f"{_HOURS.index(match.group(1)) + 1}:{_MINUTES.get(match.group(2) or '', 0):02d}"


def parse_rule(text: str) -> Rule | None:
    """ "Mon Wed Fri 18:00", "tuesdays and fridays at 6pm", "weekdays 7:30", "monday at six thirty
    pm": a Rule, else None."""
    cleaned = re.sub(r"[,;/&+]", " ", text.lower()).replace("p.m.", "pm").replace("a.m.", "am")
    cleaned = _SPOKEN.sub(_digits, cleaned)
    cleaned = re.sub(r"(\d)\s+(am|pm)\b", r"\1\2", cleaned)
    days: set[int] = set()
    at: time | None = None
    for token in cleaned.split():
        if token in _WORDS:
            days.add(_WORDS[token])
        elif token in _GROUPS:
            days.update(_GROUPS[token])
        elif (clock := _clock(token)) is not None and at is None:
            at = clock
        elif token not in _FILLER:
            return None
    if not days or at is None:
        return None
    return Rule(tuple(sorted(days)), at)


def next_slot(rule: Rule, after: datetime, tz: tzinfo) -> datetime:
    """The first local moment of `rule` strictly after `after`, as an aware local datetime.

    Wall-clock arithmetic through zoneinfo: a time the spring change skips (02:30) is read as
    zoneinfo reads it (fold 0, which lands an hour later in UTC), so it still comes once.
    """
    local = after.astimezone(tz)
    for offset in range(LOOKAHEAD_DAYS):
        day = local.date() + timedelta(days=offset)
        if day.weekday() not in rule.days:
            continue
        slot = datetime.combine(day, rule.at, tzinfo=tz)
        if slot.astimezone(UTC) > after.astimezone(UTC):
            return slot
    raise ValueError(f"no slot for {rule!r}")  # unreachable: a week always has the day


def slot_key(slot: datetime) -> str:
    """The local wall-clock time of a slot ("2026-10-26T18:00"): one reminder per user and key."""
    return slot.strftime("%Y-%m-%dT%H:%M")
