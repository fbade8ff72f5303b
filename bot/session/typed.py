"""What a message typed mid-session means: a rep count, a word such as "back" or "skip", or a question.

Pure, so each reading can be tested without a database: the service applies what this decides.
"""

from __future__ import annotations

import re
from typing import Literal

from bot.core.numbers import NUMBER_WORDS, roman
from bot.session.flow import BACK, Event, Flow, State

REPEAT_WORDS = {"repeat", "again", "where was i", "where am i", "what now", "continue"}
NEXT_WORDS = {"ok", "okay", "next", "done", "ready", "yes", "go", "got it", "k"}
RESUME_WORDS = {"resume", "continue", "carry on"}

_FILLER = {
    "rep", "reps", "repetition", "repetitions", "x", "i", "did", "done", "got", "managed", "made",
    "just", "only", "about", "around", "maybe", "like", "full", "good", "slow", "lowerings", "lowering",
    "times", "time", "of", "them", "it", "in", "this", "set", "that", "so", "ok", "okay", "total", "a", "an",
    "or", "to", "and",
}  # fmt: skip
_TOKEN = re.compile(r"-?\d+(?:[.,]\d+)?|[a-z]+")


Reps = int | Literal["bad", "none"]
# An event to apply, a note (a text key of session.yaml) to say, or None: take it as a question.
Meaning = Event | str | None


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


def words(text: str) -> str:
    """Lower case, single spaces, no trailing full stop or exclamation: "  Carry on! " -> "carry on"."""
    return " ".join(text.strip().lower().strip(" .!").split())


def is_resume(text: str) -> bool:
    """The words that resume a paused session when typed."""
    return words(text) in RESUME_WORDS


def meaning(flow: Flow, state: State, text: str) -> Meaning:
    """What `text` means at `state`; a count during the sets is reps, short unreadable text a note."""
    low = words(text)
    step = flow.steps[state.step]
    if low in REPEAT_WORDS:
        return Event("repeat")
    if low == "back":
        return Event("back")
    if low in ("skip", "skip rest"):
        return Event("skip")
    reps = parse_reps(text.strip())
    short = len(low.split()) <= 2
    if step.kind == "sets":
        if isinstance(reps, int):
            return Event("reps", reps)
        if state.resting and (reps == "bad" or short):
            return "resting"
        if reps == "bad":
            return "out_of_range"
        if short:
            return "not_a_number"
    elif isinstance(reps, int) and low not in NEXT_WORDS:
        return "not_now"
    forward = [i for i, c in enumerate(step.buttons) if c.to and c.to != BACK]
    if low in NEXT_WORDS and step.kind == "info" and len(forward) == 1:
        return Event("press", forward[0])
    return None
