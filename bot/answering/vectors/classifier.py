"""Which entry a question belongs to, judged by a linear classifier over the example questions' vectors.

Why a classifier beside the nearest examples: the nearest example only knows one sentence at a time; a
fit over all of an entry's examples learns which directions tell neighbouring entries apart (DOMS causes
vs DOMS duration). Off-topic questions are one more class, so it also learns what no entry covers.

Why logistic regression (softmax, L2, scipy's L-BFGS): it ranked 978 of tests/data/dev.yaml's 993
in-scope questions first where least squares (ridge) ranked 962, with 186 against 182 in batch 3, from
which no example was written. It takes about a second to fit, so `hamcoach vectors` ships the weights in
the knowledge's vectors.npz, keyed by a fingerprint of what they were fitted on. A knowledge base whose rows
times classes pass LOGISTIC_LIMIT (about six times today's) would take seconds to minutes to fit at
start-up; it gets ridge regression instead, closed form, a couple of seconds even at 100 times today's
size. The fit itself is bot/answering/logistic.py, shared with benchmarks/calibrate.py.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.answering import logistic

INVERSE_PENALTY = 100.0  # C of the logistic fit; 30 to 300 ranked dev.yaml alike, 1 and 1000 worse
RIDGE = 1.0  # L2 penalty of the ridge fallback
LOGISTIC_LIMIT = 1_000_000  # rows x classes; today about 4,400 x 39
MAX_ITERATIONS = 1000
# Stop when the mean loss's gradient is this small (scikit-learn's default): under a second. Going
# on to 1e-8 took three times as long and ranked the development questions exactly the same.
TOLERANCE = 1e-4
_CHUNK = 8192  # rows per step of the ridge sums


@dataclass(frozen=True)
class Classifier:
    weights: np.ndarray  # (dimensions + 1, classes); the last row is the bias
    probabilities: bool  # softmax over the classes (logistic) or raw least-squares scores (ridge)

    def scores(self, vector: np.ndarray) -> np.ndarray:
        """Per class: the probability (logistic) or a score near 1 for its class and 0 otherwise."""
        z = np.append(vector, np.float32(1.0)) @ self.weights
        if not self.probabilities:
            return z
        z = np.exp(z - z.max())
        return z / z.sum()


def fingerprint(row_keys: Sequence[str], labels: np.ndarray) -> str:
    """What a logistic fit depends on: the rows (by their texts' keys), their classes and the settings."""
    digest = hashlib.sha256(f"logistic {INVERSE_PENALTY} {MAX_ITERATIONS} {TOLERANCE}\0".encode())
    digest.update("\0".join(row_keys).encode())
    digest.update(np.asarray(labels, dtype=np.int64).tobytes())
    return digest.hexdigest()


def is_logistic(rows: int, classes: int, limit: int = LOGISTIC_LIMIT) -> bool:
    """Whether `fit` uses logistic regression for this many rows and classes (else ridge)."""
    return rows > 0 and classes > 1 and rows * classes <= limit


def fit(rows: np.ndarray, labels: np.ndarray, classes: int, limit: int = LOGISTIC_LIMIT) -> Classifier:
    """Logistic regression if the problem is small enough for start-up, else ridge regression."""
    if is_logistic(len(rows), classes, limit):
        weights = logistic.fit(
            rows, labels, classes, INVERSE_PENALTY, tolerance=TOLERANCE, max_iterations=MAX_ITERATIONS
        )
        return Classifier(weights.astype(np.float32), probabilities=True)
    return Classifier(_ridge(rows, labels, classes), probabilities=False)


def _ridge(rows: np.ndarray, labels: np.ndarray, classes: int) -> np.ndarray:
    """Least squares from the vectors to their class, one-hot. The sums run in chunks and the one-hot
    targets are never built, so a knowledge base 100 times larger needs megabytes, not gigabytes."""
    dims = rows.shape[1] if rows.ndim == 2 else 0
    if not len(rows) or not classes:
        return np.zeros((dims + 1, classes), dtype=np.float32)
    gram = np.zeros((dims + 1, dims + 1))
    per_class = np.zeros((dims + 1, classes))  # x.T @ one_hot(labels): each class's rows summed
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start : start + _CHUNK].astype(np.float64)
        x = np.hstack([chunk, np.ones((len(chunk), 1))])
        gram += x.T @ x
        np.add.at(per_class.T, labels[start : start + _CHUNK], x)
    penalty = RIDGE * np.eye(dims + 1)
    penalty[-1, -1] = 0.0  # the bias is not shrunk
    return np.linalg.solve(gram + penalty, per_class).astype(np.float32)
