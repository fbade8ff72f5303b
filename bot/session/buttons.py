"""The callback data of the session's buttons, `s:<session_id>.<seq>:<action>`, built and read here.

A button carries the session's `seq`, so a press on an old message or a second press of the same
button is recognised (the seq moved on) and answered kindly, and nothing is logged twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.session.flow import Event, EventKind
from bot.session.store import SessionRow

PREFIX = "s"
BEGIN = f"{PREFIX}:begin"  # start a session (the welcome's button)
CLEARED = f"{PREFIX}:cleared"  # a clinician cleared a held user: start anyway


@dataclass(frozen=True)
class Pressed:
    """A press on a session's button: which session, at which `seq`, and what it asks."""

    session_id: int
    seq: int
    action: str


def callback(row: SessionRow, action: str) -> str:
    """The data of a button doing `action` on the session as `row` shows it."""
    return f"{PREFIX}:{row.id}.{row.seq}:{action}"


def parse_callback(payload: str) -> Pressed | None:
    """Read the part after `s:`; None if it is not a session button's (an old or forged one)."""
    ident, _, action = payload.partition(":")
    sid, _, seq = ident.partition(".")
    if not (sid.isdigit() and seq.isdigit() and action):
        return None
    return Pressed(int(sid), int(seq), action)


def button_event(action: str) -> Event | None:
    """Button actions: b<i> a step's button, a<i> an anytime button, r<n> reps, skip the rest, undo
    the reps just logged."""
    if action == "skip":
        return Event("skip")
    if action == "undo":
        return Event("undo")
    head, tail = action[:1], action[1:]
    if not tail.isdigit() or len(tail) > 3:
        return None
    kinds: dict[str, EventKind] = {"b": "press", "a": "anytime", "r": "reps"}
    kind = kinds.get(head)
    return Event(kind, int(tail)) if kind else None
