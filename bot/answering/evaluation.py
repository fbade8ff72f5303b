"""Evaluation sets (tests/data/*.yaml, which name the files): load, split into halves, score.

Even positions tune the threshold, odd positions are held out; the split is fixed so a figure
measured today means the same tomorrow.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.answering.index import Index


@dataclass(frozen=True)
class Case:
    question: str
    expect: frozenset[str]  # empty for off-topic


@dataclass(frozen=True)
class Score:
    in_scope: int
    correct: int
    off_topic: int
    abstained: int
    wrong: tuple[tuple[str, str, str], ...]  # (question, expected, got)

    @property
    def accuracy(self) -> float:
        return self.correct / self.in_scope if self.in_scope else 0.0

    @property
    def abstention(self) -> float:
        return self.abstained / self.off_topic if self.off_topic else 0.0


def load_cases(path: Path) -> list[Case]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    cases = []
    for item in data["in_scope"]:
        expect = item["expect"]
        cases.append(Case(item["q"], frozenset([expect] if isinstance(expect, str) else expect)))
    # an off-topic item is its text, or {q, kind} (kind: why it is off topic; benchmarks/blind.py)
    cases += [Case(q["q"] if isinstance(q, dict) else q, frozenset()) for q in data["off_topic"]]
    return cases


def split(cases: list[Case]) -> tuple[list[Case], list[Case]]:
    """(tuning half, held-out half), taken separately from in-scope and off-topic cases."""
    inside = [c for c in cases if c.expect]
    outside = [c for c in cases if not c.expect]
    return inside[0::2] + outside[0::2], inside[1::2] + outside[1::2]


def evaluate(index: Index, cases: list[Case]) -> Score:
    correct = abstained = 0
    wrong = []
    for case in cases:
        answer = index.answer(case.question)
        got = answer.entry.id if answer.entry else "-"
        if case.expect and got in case.expect:
            correct += 1
        elif not case.expect and answer.entry is None:
            abstained += 1
        else:
            wrong.append((case.question, "/".join(sorted(case.expect)) or "-", got))
    inside = sum(1 for c in cases if c.expect)
    return Score(inside, correct, len(cases) - inside, abstained, tuple(wrong))
