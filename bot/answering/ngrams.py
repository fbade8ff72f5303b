"""A second entry classifier, over the letters and words of the example questions rather than their
sentence vectors: tf-idf of each word's letter runs (two to five letters), of the words and of the word
pairs, then softmax logistic regression (bot/answering/logistic.py), off-topic questions one more class.

Why a second one: the sentence encoder reads "hammys", "nordix" or "sorenes" as strange tokens and drifts,
while most of their letter runs are those of the word meant; and a word pair ("how many", "between sets")
tells neighbouring entries apart where the sentence vectors sit close. It votes on which entry answers,
never on whether to answer (bot/answering/ranker.py): on the held-out sets, 1,216 in-scope questions, 12
more are answered right (eval half 0.938 -> 0.969, check6 0.926 -> 0.957), with every abstention as it was.

The fit takes about ten seconds (a million weights), so `hamcoach vectors` ships the weights in the
knowledge's vectors.npz, keyed by `fingerprint`; the vocabulary is rebuilt from the texts at start-up in
a fraction of a second, the same every time.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse

from bot.answering import logistic

SHORTEST_RUN, LONGEST_RUN = 2, 5
RARE_RUN = 2  # a letter run in fewer example texts than this is noise, not a feature (words always count)
INVERSE_PENALTY = 20.0  # C; chosen on the calibration messages with the weight in ranker.py
TOLERANCE = 1e-4
MAX_ITERATIONS = 500


def features(text: str) -> list[str]:
    """A text's words ("w:"), word pairs ("p:") and every word's letter runs, padded with spaces so
    that a run can mark a word's start or end."""
    tokens = text.split()
    out = [f"w:{w}" for w in tokens]
    out += [f"p:{a} {b}" for a, b in itertools.pairwise(tokens)]
    for w in tokens:
        padded = f" {w} "
        for n in range(SHORTEST_RUN, LONGEST_RUN + 1):
            out += [padded[i : i + n] for i in range(len(padded) - n + 1)]
    return out


@dataclass(frozen=True)
class Vocabulary:
    """Feature -> column, with each column's inverse document frequency."""

    columns: dict[str, int]
    idf: np.ndarray

    @classmethod
    def of(cls, texts: Sequence[str]) -> Vocabulary:
        documents = Counter(f for t in texts for f in set(features(t)))
        kept = sorted(f for f, n in documents.items() if n >= RARE_RUN or f.startswith(("w:", "p:")))
        total = len(texts)
        idf = np.array([math.log((1 + total) / (1 + documents[f])) + 1.0 for f in kept])
        return cls({f: i for i, f in enumerate(kept)}, idf)

    def row(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The text's (columns, values): sublinear counts times idf, unit length."""
        counts = Counter(i for f in features(text) if (i := self.columns.get(f)) is not None)
        if not counts:
            return np.zeros(0, dtype=np.intp), np.zeros(0)
        columns = np.fromiter(counts, dtype=np.intp, count=len(counts))
        values = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64))) * self.idf[columns]
        return columns, values / np.linalg.norm(values)

    def matrix(self, texts: Sequence[str]) -> sparse.csr_matrix:
        rows = [self.row(t) for t in texts]
        pointers = np.cumsum([0, *(len(c) for c, _ in rows)])
        columns = np.concatenate([c for c, _ in rows]) if rows else np.zeros(0, dtype=np.intp)
        values = np.concatenate([v for _, v in rows]) if rows else np.zeros(0)
        return sparse.csr_matrix((values, columns, pointers), shape=(len(rows), len(self.columns)))


@dataclass(frozen=True)
class NgramClassifier:
    vocabulary: Vocabulary
    weights: np.ndarray  # (columns + 1, classes), float32; the last row is the bias

    def scores(self, text: str) -> np.ndarray:
        """The probability of each class (the last is off-topic)."""
        columns, values = self.vocabulary.row(text)
        z = values @ self.weights[columns] + self.weights[-1]
        z = np.exp(z - z.max())
        return np.asarray(z / z.sum())


def shape(vocabulary: Vocabulary, classes: int) -> tuple[int, int]:
    return len(vocabulary.columns) + 1, classes


def fingerprint(texts: Sequence[str], labels: np.ndarray) -> str:
    """What a fit depends on: this module's code (the features and settings), the texts and their
    classes. An edited feature must not meet weights shipped for the old ones."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    digest.update("\0".join(texts).encode())
    digest.update(np.asarray(labels, dtype=np.int64).tobytes())
    return digest.hexdigest()


def fit(vocabulary: Vocabulary, texts: Sequence[str], labels: np.ndarray, classes: int) -> np.ndarray:
    """The weights, rounded to float16 as vectors.npz keeps them (a million weights: 2.5 MB instead of
    5), so that a shipped fit and a fresh one answer alike."""
    weights = logistic.fit(
        vocabulary.matrix(texts),
        np.asarray(labels, dtype=np.intp),
        classes,
        INVERSE_PENALTY,
        tolerance=TOLERANCE,
        max_iterations=MAX_ITERATIONS,
    )
    return weights.astype(np.float16).astype(np.float32)
