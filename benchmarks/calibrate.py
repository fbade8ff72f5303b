"""Fit bot/confidence.py's weights: when is the top entry likely the right answer?

    .venv/bin/python benchmarks/calibrate.py

Each question of the tuning half of tests/data/eval.yaml and of tests/data/dev.yaml (never the held-out
half) becomes one example: the retriever's signals for its top entry, labelled 1 if that entry is right
and 0 if it is wrong or the question is off-topic. An L2-regularised logistic regression (Newton's
method, numpy) is fitted twice:
- on everything but dev.yaml's third batch, then scored on that batch: an honest check, since that batch
  played no part in the fit (it is compared with the current weights in the same run);
- on everything, printing WEIGHTS and BIAS to paste into bot/confidence.py.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot import confidence
from bot.confidence import Signals
from bot.evaluation import DEV_FILE, Case, load_cases, split
from bot.knowledge import load_knowledge
from bot.retrieval import Index

PENALTY = 0.1  # L2 on the weights, not the bias
# dev.yaml's third batch: the last 189 in-scope and the last 80 off-topic questions
BATCH3_IN, BATCH3_OFF = 189, 80


@dataclass(frozen=True)
class Example:
    case: Case
    top: str | None  # the entry the index ranks first, if it would weigh answering it
    signals: Signals | None
    red_flag: bool


def examples(index: Index, cases: list[Case]) -> list[Example]:
    """Each case's signals, computed once and shared by every fit and score below."""
    out = []
    for case in cases:
        ranked = index.rank(case.question)
        signals = index.signals(case.question)
        top = ranked[0][0].id if ranked and signals is not None else None
        out.append(Example(case, top, signals, index.is_red_flag(case.question)))
    return out


def matrix(data: list[Example]) -> tuple[np.ndarray, np.ndarray]:
    """Signals and labels (1: the top entry is right) of the examples that have signals."""
    rows, labels = [], []
    for e in data:
        if e.signals is not None:
            rows.append(e.signals.values())
            labels.append(1.0 if e.top in e.case.expect else 0.0)
    return np.array(rows), np.array(labels)


def fit(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    a = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(a.shape[1])
    reg = np.full(a.shape[1], PENALTY)
    reg[-1] = 0.0
    for _ in range(50):
        p = 1 / (1 + np.exp(-np.clip(a @ w, -60, 60)))
        grad = a.T @ (p - y) + reg * w
        hess = (a * (p * (1 - p))[:, None]).T @ a + np.diag(reg) + 1e-9 * np.eye(len(w))
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-9:
            break
    return w[:-1], float(w[-1])


def score(data: list[Example], red_flag_entry: str, weights: np.ndarray, bias: float) -> str:
    correct = inside = abstained = outside = 0
    for e in data:
        answered = None
        if e.signals is not None:
            p = confidence.probability(e.signals, tuple(weights), bias)
            if confidence.answers(e.signals, p):
                answered = e.top
        if e.red_flag:
            answered = red_flag_entry
        if e.case.expect:
            inside += 1
            correct += answered in e.case.expect
        else:
            outside += 1
            abstained += answered is None
    accuracy = f"top-1 {correct / inside:.3f} ({correct}/{inside})"
    return f"{accuracy}, abstention {abstained / outside:.3f} ({abstained}/{outside})"


def main() -> None:
    index = Index(load_knowledge())
    flag = index.kb.red_flags.entry
    tune, _ = split(load_cases())
    dev = load_cases(DEV_FILE)
    dev_in = examples(index, [c for c in dev if c.expect])
    dev_off = examples(index, [c for c in dev if not c.expect])
    batch3 = dev_in[-BATCH3_IN:] + dev_off[-BATCH3_OFF:]
    every = examples(index, tune) + dev_in[:-BATCH3_IN] + dev_off[:-BATCH3_OFF]

    x, y = matrix(every)
    weights, bias = fit(x, y)
    print(f"fitted without batch 3 ({len(y)} examples), on batch 3: {score(batch3, flag, weights, bias)}")
    current = score(batch3, flag, np.array(confidence.WEIGHTS), confidence.BIAS)
    print(f"current weights (fitted with batch 3), on batch 3: {current}")

    x, y = matrix(every + batch3)
    weights, bias = fit(x, y)
    print(f"\nfitted on all {len(y)} examples; for bot/confidence.py:")
    print("WEIGHTS = (" + ", ".join(f"{w:.4f}" for w in weights) + ")")
    print(f"BIAS = {bias:.4f}")


if __name__ == "__main__":
    main()
