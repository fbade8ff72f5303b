"""How likely the top entry is the right answer: a logistic model over signals the retriever already has.

Why not one threshold on one score: an off-topic question can score as high as a real one ("how long to
rest between bench sets" shares words and meaning with rest-between-sets). Other signals tell them apart:
how far the top entry leads the next, how near the question is to a known off-topic question, how many
of its words the knowledge base has never seen. A logistic model weighs them; `benchmarks/calibrate.py`
fits the weights on the tuning half of tests/data/eval.yaml plus the knowledge's messages.yaml, each message
scored by a bot that did not learn it (never a held-out set), and prints them for this file.
"""

from __future__ import annotations

import math
from dataclasses import astuple, dataclass

# Answer when the probability that the top entry is right reaches this (chosen by benchmarks/calibrate.py).
ANSWER_AT = 0.5
# ... unless the question is this much nearer (cosine) to a question of off_topic.yaml than to
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


# Fitted by benchmarks/calibrate.py (L2-regularised logistic regression); order as in Signals.
WEIGHTS = (9.3593, -2.2811, -1.2755, -4.1928, -9.8584, 5.5154, -1.4626, 0.2302)
BIAS = -4.0010


def probability(signals: Signals, weights: tuple[float, ...] = WEIGHTS, bias: float = BIAS) -> float:
    z = bias + sum(w * v for w, v in zip(weights, signals.values(), strict=True))
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))


def answers(signals: Signals, likelihood: float, threshold: float = ANSWER_AT) -> bool:
    """Whether to answer with the top entry: likely enough, and not clearly a listed near miss."""
    return likelihood >= threshold and signals.off_topic_gap <= OFF_TOPIC_MARGIN
