"""Sweep the answer threshold on the TUNING half of the evaluation set (never the held-out half).

    .venv/bin/python benchmarks/tune.py

Prints top-1 accuracy and correct abstention for each threshold on the probability that the top entry
is right (bot/confidence.py), so a change to the knowledge or the retriever can be re-tuned; copy the
chosen value into bot/confidence.py ANSWER_AT (and re-fit the weights with benchmarks/calibrate.py
after changing the knowledge or the retriever). The tuning half is optimistic (the knowledge's
example questions were enriched while watching it), so the sweep also runs on tests/data/dev.yaml,
questions written apart from the knowledge (its header says which batches flatter the figures).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.confidence import ANSWER_AT
from bot.evaluation import DEV_FILE, evaluate, load_cases, split
from bot.knowledge import load_knowledge
from bot.retrieval import Index


def main() -> None:
    index = Index(load_knowledge())
    tune, _ = split(load_cases())
    dev = load_cases(DEV_FILE)
    for name, cases in (("tuning half", tune), ("development set", dev)):
        inside = sum(1 for c in cases if c.expect)
        print(f"{name}: {inside} in scope, {len(cases) - inside} off topic")
    print(f"{'threshold':>10}{'tune acc':>10}{'abstain':>10}{'dev acc':>10}{'abstain':>10}")
    for step in range(20, 81, 5):
        index.threshold = step / 100
        t, d = evaluate(index, tune), evaluate(index, dev)
        mark = "  <- current" if abs(index.threshold - ANSWER_AT) < 1e-9 else ""
        print(
            f"{index.threshold:>10.2f}{t.accuracy:>10.3f}{t.abstention:>10.3f}"
            f"{d.accuracy:>10.3f}{d.abstention:>10.3f}{mark}"
        )


if __name__ == "__main__":
    main()
