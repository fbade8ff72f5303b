"""The classifier on its own: any training data gives usable scores, and clear classes are learnt."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.answering.vectors import classifier


def _data(seed: int, rows: int, classes: int, dims: int = 8) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(rows, dims)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-9
    return vectors, rng.integers(0, classes, size=rows)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 60), st.integers(1, 6), st.booleans())
def test_any_training_data_gives_finite_scores(seed: int, rows: int, classes: int, small: bool) -> None:
    vectors, labels = _data(seed, rows, classes)
    fitted = classifier.fit(vectors, labels, classes, limit=0 if small else classifier.LOGISTIC_LIMIT)
    assert fitted.weights.shape == (9, classes)
    for vector in [*vectors[:5], np.zeros(8, np.float32)]:
        scores = fitted.scores(vector)
        assert scores.shape == (classes,) and np.isfinite(scores).all()
        if fitted.probabilities:
            assert abs(float(scores.sum()) - 1.0) < 1e-4 and (scores >= 0).all()
    assert fitted.probabilities == (not small and classes > 1)


def test_clear_classes_are_learnt_by_both_fits() -> None:
    rng = np.random.default_rng(3)
    centres = np.eye(8, dtype=np.float32)[:4]
    labels = np.repeat(np.arange(4), 25)
    vectors = centres[labels] + 0.2 * rng.normal(size=(100, 8)).astype(np.float32)
    for limit in (classifier.LOGISTIC_LIMIT, 0):
        fitted = classifier.fit(vectors, labels, 4, limit=limit)
        predicted = [int(fitted.scores(v).argmax()) for v in vectors]
        assert np.mean(np.array(predicted) == labels) > 0.95


def test_the_fingerprint_changes_with_the_rows_and_their_classes() -> None:
    base = classifier.fingerprint(["a", "b"], np.array([0, 1]))
    assert base == classifier.fingerprint(["a", "b"], np.array([0, 1]))
    assert base != classifier.fingerprint(["a", "c"], np.array([0, 1]))
    assert base != classifier.fingerprint(["a", "b"], np.array([1, 0]))
    assert base != classifier.fingerprint(["ab"], np.array([0]))
