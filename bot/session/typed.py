"""What a message typed mid-session means: a rep count, a word such as "back" or "skip", or a question.

Pure, so each reading can be tested without a database: the service applies what this decides.
"""

from __future__ import annotations

from bot.core.numbers import parse_count
from bot.session.flow import BACK, Event, Flow, State

REPEAT_WORDS = {"repeat", "again", "where was i", "where am i", "what now", "continue"}
NEXT_WORDS = {"ok", "okay", "next", "done", "ready", "yes", "go", "got it", "k"}
RESUME_WORDS = {"resume", "continue", "carry on"}

# An event to apply, a note (a text key of session.yaml) to say, or None: take it as a question.
Meaning = Event | str | None


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
    reps = parse_count(text.strip())
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
