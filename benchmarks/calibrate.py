"""Fit bot/answering/confidence.py's weights and choose its threshold: when is the top entry likely right?

    .venv/bin/python benchmarks/calibrate.py

The examples are the messages of bot/knowledge/data/messages.yaml and the tuning half of tests/data/eval.yaml
(never a held-out set): each becomes the retriever's signals for its top entry (the blend's leader,
bot/answering/ranker.py), labelled 1 if that entry is right and 0 if it is wrong or the message is
off-topic; top-1 counts the entry the bot answers with, after the letter-run vote. (Labelled by the
voted entry instead, out of fold top-1 0.950 and abstention 0.978, but three held-out sets abstained
under their floors: the model learned to answer more.) The messages also teach the bot, so
each is scored by a bot that learned from the other nine tenths of them (a bot that had learned the
message itself would be sure of it, and the fit would learn to trust too easily). An L2-regularised
logistic regression (bot/answering/logistic.py, the classifier's fit with two classes) is then fitted:
- ten times, each time without one tenth of the examples, to score that tenth. The threshold sweep over
  those out-of-fold probabilities shows what fresh messages will see. ANSWER_AT stays 0.5, "answer when
  right is likelier than wrong", unless another threshold beats it there on top-1 + abstention by more
  than that sum's standard error (about 0.009 on ~1,950 messages). The sum has been flat from about
  0.35 to 0.6, and rules that chose inside the flat stretch proved fragile: "the lowest threshold with
  98% abstention" chose 0.35 once, and fresh sets then abstained on only 94%; a fixed margin of 0.005
  chose 0.35 on one CPU and 0.5 on another (2026-12-03), while a development set written apart from
  the knowledge scored 1.78 at 0.35 and 1.815 at 0.5;
- on everything, writing the weights, bias and threshold to bot/answering/data/confidence.json, which
  bot/answering/confidence.py loads, with a hash of every input (the knowledge's YAML, eval.yaml and the
  code that computes the signals): tests/answering/test_confidence.py fails when they have changed since.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.answering import confidence, logistic
from bot.answering.confidence import Signals
from bot.answering.evaluation import Case, load_cases, split
from bot.answering.index import Index
from bot.knowledge.base import KnowledgeBase, load_knowledge
from tests.data import EVAL_FILE

ROOT = Path(__file__).resolve().parent.parent
# The code the signals come from; the answering feature's replies and Telegram views are not inputs.
NOT_INPUTS = {"views.py", "feature.py", "service.py", "evaluation.py"}

PENALTY = 0.1  # L2 on the weights, not the bias
# Run the fit to convergence: 1e-10 on the mean loss's gradient gives the optimum to about 1e-6, well
# inside the four decimals printed (Newton's method, used here before, printed the same figures).
TOLERANCE = 1e-10
MAX_ITERATIONS = 1000
FOLDS = 10
THRESHOLDS = [step / 100 for step in range(20, 61, 5)]
DEFAULT_THRESHOLD = 0.5


@dataclass(frozen=True)
class Example:
    case: Case
    top: str | None  # the blend's leader, if the index would weigh answering: what the signals describe
    answer: str | None  # the entry it would answer with (the letter-run classifier's vote: ranker.py)
    signals: Signals | None
    red_flag: bool


def examples(index: Index, cases: list[Case]) -> list[Example]:
    """Each case's signals, computed once and shared by every fit and score below."""
    out = []
    for case in cases:
        ranked = index.rank(case.question)
        signals = index.signals(case.question)
        top = index.ranker.leader(case.question) if signals is not None else None
        answer = ranked[0][0].id if ranked and signals is not None else None
        out.append(Example(case, top, answer, signals, index.is_red_flag(case.question)))
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
    return logistic.fit_binary(x, y, PENALTY, tolerance=TOLERANCE, max_iterations=MAX_ITERATIONS)


def probabilities(data: list[Example], weights: np.ndarray, bias: float) -> list[float | None]:
    return [
        None if e.signals is None else confidence.probability(e.signals, tuple(weights), bias) for e in data
    ]


def folds(count: int) -> np.ndarray:
    """Each of `count` items' fold: a fixed shuffle, so every run gives the same result."""
    return np.random.default_rng(1).permutation(count) % FOLDS


def message_examples(kb: KnowledgeBase) -> list[Example]:
    """Every message's signals from a bot that learned the other folds' messages, not this one."""
    fold_of = folds(len(kb.messages))
    out: list[Example | None] = [None] * len(kb.messages)
    for fold in range(FOLDS):
        rest = tuple(m for m, f in zip(kb.messages, fold_of, strict=True) if f != fold)
        index = Index(dataclasses.replace(kb, messages=rest))
        held = np.flatnonzero(fold_of == fold)
        cases = [Case(kb.messages[i].text, frozenset(kb.messages[i].entries)) for i in held]
        for i, example in zip(held, examples(index, cases), strict=True):
            out[i] = example
    return [e for e in out if e is not None]


def out_of_fold(data: list[Example]) -> list[float | None]:
    """Each example's probability from a fit on the other folds."""
    fold_of = folds(len(data))
    out: list[float | None] = [None] * len(data)
    for fold in range(FOLDS):
        weights, bias = fit(*matrix([e for e, f in zip(data, fold_of, strict=True) if f != fold]))
        for i in np.flatnonzero(fold_of == fold):
            out[i] = probabilities([data[i]], weights, bias)[0]
    return out


def rates(
    data: list[Example], probs: list[float | None], red_flag_entry: str, threshold: float
) -> tuple[float, float, str, float]:
    """(top-1, abstention, both as text, the standard error of their sum) when answering at `threshold`."""
    correct = inside = abstained = outside = 0
    for e, p in zip(data, probs, strict=True):
        answered = None
        if e.signals is not None and p is not None and confidence.answers(e.signals, p, threshold):
            answered = e.answer
        if e.red_flag:
            answered = red_flag_entry
        if e.case.expect:
            inside += 1
            correct += answered in e.case.expect
        else:
            outside += 1
            abstained += answered is None
    top1, abstention = correct / inside, abstained / outside
    text = f"top-1 {top1:.3f} ({correct}/{inside}), abstention {abstention:.3f} ({abstained}/{outside})"
    error = (top1 * (1 - top1) / inside + abstention * (1 - abstention) / outside) ** 0.5
    return top1, abstention, text, error


def score(data: list[Example], red_flag_entry: str, weights: np.ndarray, bias: float) -> str:
    return rates(data, probabilities(data, weights, bias), red_flag_entry, confidence.ANSWER_AT)[2]


def sweep(data: list[Example], probs: list[float | None], red_flag_entry: str) -> float:
    """Print top-1 and abstention per threshold; return 0.5 unless another is better by more than the
    noise (one standard error of the sum at 0.5)."""
    print(f"{'threshold':>10}{'top-1':>8}{'abstain':>9}{'sum':>7}")
    sums, errors = {}, {}
    for threshold in THRESHOLDS:
        top1, abstention, _, errors[threshold] = rates(data, probs, red_flag_entry, threshold)
        sums[threshold] = top1 + abstention
        mark = "  <- current" if abs(threshold - confidence.ANSWER_AT) < 1e-9 else ""
        print(f"{threshold:>10.2f}{top1:>8.3f}{abstention:>9.3f}{sums[threshold]:>7.3f}{mark}")
    best = max(sums, key=lambda t: sums[t])
    noise = errors[DEFAULT_THRESHOLD]  # DEFAULT_THRESHOLD is one of THRESHOLDS
    print(f"standard error of the sum at {DEFAULT_THRESHOLD}: {noise:.4f}")
    return best if sums[best] > sums[DEFAULT_THRESHOLD] + noise else DEFAULT_THRESHOLD


# The knowledge files answering reads; the session's, check-ins', reminders' and texts' YAML do not
# change the fit, so editing a step or a reminder needs no new calibration.
ANSWER_KNOWLEDGE = "entries/*.yaml messages.yaml off_topic.yaml safety.yaml synonyms.yaml topics.yaml".split()


def input_files(knowledge: Path) -> list[Path]:
    """Everything the fit depends on: the answering knowledge, eval.yaml, and the code of the signals."""
    code = [p for p in (ROOT / "bot" / "answering").rglob("*.py") if p.name not in NOT_INPUTS]
    code += [ROOT / "bot" / "core" / "textnorm.py", ROOT / "bot" / "knowledge" / "base.py", Path(__file__)]
    yaml = sorted(p for pattern in ANSWER_KNOWLEDGE for p in knowledge.glob(pattern))
    return [*yaml, EVAL_FILE, *sorted(p.resolve() for p in code)]


def inputs_digest(knowledge: Path) -> str:
    """sha256 over the inputs' names (relative to their root) and bytes, so a moved checkout hashes alike."""
    digest = hashlib.sha256()
    for path in input_files(knowledge):
        base = knowledge if path.is_relative_to(knowledge) else ROOT
        digest.update(f"{path.relative_to(base).as_posix()}\0".encode())
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def write_fit(weights: np.ndarray, bias: float, threshold: float, knowledge: Path) -> None:
    names = [f.name for f in dataclasses.fields(Signals)]
    fitted = {
        "weights": {n: round(float(w), 4) for n, w in zip(names, weights, strict=True)},
        "bias": round(bias, 4),
        "answer_at": threshold,
        "inputs": inputs_digest(knowledge),
    }
    confidence.FITTED.write_text(json.dumps(fitted, indent=2) + "\n", encoding="utf-8")


def main() -> None:
    kb = load_knowledge()
    flag = kb.red_flags.entry
    tune, _ = split(load_cases(EVAL_FILE))
    tuning = examples(Index(kb), tune)
    messages = message_examples(kb)
    everything = tuning + messages
    current = score(messages, flag, np.array(confidence.WEIGHTS), confidence.BIAS)
    print(f"current weights, on the {len(messages)} messages (out of fold): {current}")

    probs = out_of_fold(everything)
    print(f"\nout of fold ({FOLDS} folds), on the {len(messages)} messages:")
    threshold = sweep(messages, probs[len(tuning) :], flag)

    x, y = matrix(everything)
    weights, bias = fit(x, y)
    write_fit(weights, bias, threshold, kb.folder)
    print(f"\nfitted on all {len(y)} examples; written to {confidence.FITTED.relative_to(ROOT)}:")
    print("weights (" + ", ".join(f"{w:.4f}" for w in weights) + f"), bias {bias:.4f}, answer at {threshold}")


if __name__ == "__main__":
    main()
