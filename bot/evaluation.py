"""The evaluation set (tests/data/eval.yaml): load, split into tuning and held-out halves, score.

Even positions tune the threshold, odd positions are held out; the split is fixed so a figure
measured today means the same tomorrow.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.retrieval import Index

EVAL_FILE = Path(__file__).resolve().parent.parent / "tests" / "data" / "eval.yaml"
CHECK_FILE = EVAL_FILE.with_name("check.yaml")  # a second held-out set, only ever measured
CHECK2_FILE = EVAL_FILE.with_name("check2.yaml")  # a third, written after the 2026-11-24 changes
CHECK3_FILE = EVAL_FILE.with_name("check3.yaml")  # a fourth and hardest: phrasing varied on purpose
HELD_OUT_FILES = (CHECK_FILE, CHECK2_FILE, CHECK3_FILE)  # besides the held-out half of eval.yaml


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


def load_cases(path: Path = EVAL_FILE) -> list[Case]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    cases = []
    for item in data["in_scope"]:
        expect = item["expect"]
        cases.append(Case(item["q"], frozenset([expect] if isinstance(expect, str) else expect)))
    cases += [Case(q, frozenset()) for q in data["off_topic"]]
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
