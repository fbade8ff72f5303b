"""The next session, from the 10-week protocol of DOMAIN.md adjusted by what the user actually did.

Protocol (Oslo Sports Trauma Research Center, as used by Petersen et al. 2011): week 1 one session of
2x5; week 2 two of 2x6; week 3 three of 3x6-8; week 4 three of 3x8-10; weeks 5-10 three of 3 sets of
12/10/8; then one session a week. A session counts as done when at least half its target reps were
logged; otherwise the same session comes again (2-3 reps is a normal start). A gap of more than two
weeks (`step_back_days` in session.yaml; our own guidance: Ripley et al. 2021 only say at least one
session every 3 weeks keeps the benefit) steps back a week. A recent soreness
score of 8+ means rest first and a lighter session; 5-7 means repeat rather than progress; a red-flag
hold means no session until a clinician has been seen. Pure functions: no database, no clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

Kind = Literal["first", "progress", "repeat", "lighter", "rest", "hold", "back", "maintain"]


@dataclass(frozen=True)
class Week:
    number: int
    sessions: int
    targets: tuple[int, ...]  # reps per set, at most
    label: str  # how the protocol writes it


WEEKS: tuple[Week, ...] = (
    Week(1, 1, (5, 5), "2 sets of 5"),
    Week(2, 2, (6, 6), "2 sets of 6"),
    Week(3, 3, (8, 8, 8), "3 sets of 6-8"),
    Week(4, 3, (10, 10, 10), "3 sets of 8-10"),
    *(Week(n, 3, (12, 10, 8), "3 sets of 12, 10 and 8") for n in range(5, 11)),
)
MAINTENANCE = Week(11, 1, (12, 10, 8), "3 sets of 12, 10 and 8, once a week")
POSITIONS: tuple[tuple[Week, int], ...] = tuple((w, i) for w in WEEKS for i in range(1, w.sessions + 1))
DONE_RATIO = 0.5  # at least half the target reps logged counts the session as done
GAP = timedelta(days=14)
SORE_REST = 8
SORE_REPEAT = 5
SPACING = {1: "in about a week", 2: "in 3-4 days", 3: "in 2-3 days"}


@dataclass(frozen=True)
class Past:
    """A finished session as progression sees it."""

    finished_at: datetime
    position: int
    targets: tuple[int, ...]
    reps: tuple[int, ...]

    @property
    def done(self) -> bool:
        return sum(self.reps) >= DONE_RATIO * sum(self.targets)


@dataclass(frozen=True)
class Plan:
    """One session to do: where it sits in the protocol and the reps per set."""

    position: int
    targets: tuple[int, ...]
    kind: Kind = "first"
    notes: tuple[str, ...] = field(default=())

    @property
    def week(self) -> Week:
        return week_of(self.position)

    @property
    def sets(self) -> int:
        return len(self.targets)

    @property
    def target_text(self) -> str:
        """ "5" when every set is the same, "12/10/8" when they differ."""
        if len(set(self.targets)) == 1:
            return str(self.targets[0])
        return "/".join(str(t) for t in self.targets)

    def to_json(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "targets": list(self.targets),
            "kind": self.kind,
            "notes": list(self.notes),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Plan:
        targets = tuple(int(t) for t in data.get("targets", ())) or WEEKS[0].targets
        return cls(
            int(data.get("position", 0)), targets, data.get("kind", "first"), tuple(data.get("notes", ()))
        )


def week_of(position: int) -> Week:
    return POSITIONS[position][0] if position < len(POSITIONS) else MAINTENANCE


def session_in_week(position: int) -> tuple[int, int]:
    """(this session's place in its week, sessions that week): (2, 3) for week 3's second."""
    if position < len(POSITIONS):
        week, index = POSITIONS[position]
        return index, week.sessions
    return 1, 1


def _first_of_previous_week(position: int) -> int:
    week = week_of(position).number
    target = max(1, week - 1)
    return next((i for i, (w, _) in enumerate(POSITIONS) if w.number == target), 0)


def first_session() -> Plan:
    return Plan(0, WEEKS[0].targets, "first")


def next_session(
    past: Sequence[Past],
    *,
    now: datetime,
    soreness: int | None = None,
    held: bool = False,
    gap: timedelta = GAP,
) -> Plan:
    """The session to do next; `soreness` is the latest check-in score (0-10), `held` a red-flag hold."""
    if not past:
        plan = first_session()
    else:
        last = max(past, key=lambda p: p.finished_at)
        notes: list[str] = []
        kind: Kind
        if now - last.finished_at > gap:
            position, kind = _first_of_previous_week(last.position), "back"
            notes.append(f"It has been more than {gap.days} days, so we step back a week.")
        elif soreness is not None and soreness >= SORE_REPEAT:
            position, kind = last.position, "repeat"
        elif not last.done:
            position, kind = last.position, "repeat"
            notes.append("Same again: a few good reps per set is normal at first.")
        else:
            position = last.position + 1
            kind = "maintain" if position >= len(POSITIONS) else "progress"
        targets = week_of(position).targets
        plan = Plan(position, targets, kind, tuple(notes))
    if soreness is not None and soreness >= SORE_REST:
        lighter = tuple(max(1, t - 2) for t in plan.targets[: max(1, plan.sets - 1)])
        plan = Plan(plan.position, lighter, "rest", ("Rest until the soreness has clearly eased first.",))
    if held:
        plan = Plan(plan.position, plan.targets, "hold", ("On hold: see a clinician before training again.",))
    return plan


def describe(plan: Plan) -> str:
    """One line for the wrap-up and /history: what, and roughly when (under 170 characters)."""
    index, of = session_in_week(plan.position)
    week = plan.week
    when = SPACING.get(week.sessions, "in 2-3 days")
    if plan.kind == "hold":
        return f"{plan.notes[0]}"
    if plan.kind == "rest":
        return f"rest until the soreness eases, then {plan.sets} sets of up to {plan.target_text} reps."
    head = "maintenance" if week is MAINTENANCE else f"week {week.number}, session {index} of {of}"
    note = f" {plan.notes[0]}" if plan.notes else ""
    return f"{head}: {plan.sets} sets of up to {plan.target_text} reps, {when}.{note}"
