"""How likely the top entry is the right answer: a logistic model over signals the retriever already has.

Why not one threshold on one score: an off-topic question can score as high as a real one ("how long to
rest between bench sets" shares words and meaning with rest-between-sets). Other signals tell them apart:
how far the top entry leads the next, how near the question is to a known off-topic question, how many
of its words the knowledge base has never seen. A logistic model weighs them; `benchmarks/calibrate.py`
fits the weights on the tuning half of tests/data/eval.yaml plus the knowledge's messages.yaml, each message
scored by a bot that did not learn it (never a held-out set), and writes them to data/confidence.json with
a hash of what it read, which tests/answering/test_confidence.py checks: weights pasted by hand went stale
unnoticed.
"""

from __future__ import annotations

import json
import math
from dataclasses import astuple, dataclass, fields
from pathlib import Path
from typing import Any

FITTED = Path(__file__).resolve().parent / "data" / "confidence.json"  # written by benchmarks/calibrate.py
# The bot answers when the probability that the top entry is right reaches ANSWER_AT (below), unless the
# question is this much nearer (cosine) to a question of off_topic.yaml than to
# any example of the top entry: a coach who lists a near miss there expects the bot to stop answering it,
# whatever words it shares with an entry. On the development questions it cost no in-scope answer.
OFF_TOPIC_MARGIN = 0.1


@dataclass(frozen=True)
class Signals:
    """What the retriever knows about its top entry for one question."""

    blend: float  # the ranking score: coverage, closeness and the classifier's score blended
    coverage: float  # lexical coverage of the question by the entry
    closeness: float  # 0.7 x best + 0.3 x second-best cosine with the entry's examples
    best_cosine: float
    off_topic_gap: float  # best cosine with an off-topic question minus best_cosine
    lead: float  # blend of the top entry minus blend of the second
    unknown_share: float  # share of the question's concepts the knowledge base never uses
    concepts: float  # how many concepts the question has

    def values(self) -> tuple[float, ...]:
        return astuple(self)


def read_fitted(path: Path = FITTED) -> dict[str, Any]:
    """The fit benchmarks/calibrate.py wrote: `weights` by signal name, `bias`, `answer_at`, `inputs`
    (the hash of what it was fitted on). A missing signal or a stray one is an error here, at import,
    rather than a silently wrong probability."""
    fitted = json.loads(path.read_text(encoding="utf-8"))
    names = [f.name for f in fields(Signals)]
    if sorted(fitted["weights"]) != sorted(names):
        raise ValueError(f"{path}: weights must name exactly {names}; run benchmarks/calibrate.py")
    return fitted


_FIT = read_fitted()
# L2-regularised logistic regression, order as in Signals.
WEIGHTS = tuple(float(_FIT["weights"][f.name]) for f in fields(Signals))
BIAS = float(_FIT["bias"])
# Answer when the probability that the top entry is right reaches this (chosen by the same script).
ANSWER_AT = float(_FIT["answer_at"])


def probability(signals: Signals, weights: tuple[float, ...] = WEIGHTS, bias: float = BIAS) -> float:
    z = bias + sum(w * v for w, v in zip(weights, signals.values(), strict=True))
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))


def answers(signals: Signals, likelihood: float, threshold: float = ANSWER_AT) -> bool:
    """Whether to answer with the top entry: likely enough, and not clearly a listed near miss."""
    return likelihood >= threshold and signals.off_topic_gap <= OFF_TOPIC_MARGIN
