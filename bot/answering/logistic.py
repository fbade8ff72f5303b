"""Logistic regression (softmax over classes, L2 on the weights but not the bias, scipy's L-BFGS): the one
fit behind the entry classifier (bot/answering/vectors/classifier.py) and the answer model whose weights
benchmarks/calibrate.py prints for bot/answering/confidence.py (two classes)."""

from __future__ import annotations

import numpy as np
from scipy import sparse

# scipy's own default for L-BFGS-B's `ftol`: stop when the loss falls by less than this share in a step
LOSS_TOLERANCE = 2.220446049250313e-09


def fit(
    rows: np.ndarray | sparse.spmatrix,
    labels: np.ndarray,
    classes: int,
    inverse_penalty: float,
    *,
    tolerance: float,
    max_iterations: int,
    loss_tolerance: float = LOSS_TOLERANCE,
) -> np.ndarray:
    """Weights (dimensions + 1, classes), the last row the bias, in float64. The loss is the mean over the
    rows, so `tolerance` (on its gradient) means the same at any size; `loss_tolerance=0` runs on until
    the gradient alone stops it."""
    from scipy.optimize import minimize  # 0.2 s to import: only when fitting, not when shipped weights serve

    ones = np.ones((rows.shape[0], 1))
    x: np.ndarray | sparse.csr_matrix
    if sparse.issparse(rows):  # bot/answering/ngrams.py's letter runs: tens of thousands of columns
        x = sparse.hstack([rows.astype(np.float64), ones], format="csr")
    else:
        x = np.hstack([rows.astype(np.float64), ones])
    shape = (x.shape[1], classes)
    at_label = (np.arange(x.shape[0]), labels)
    unpenalised = np.ones(shape)
    unpenalised[-1] = 0.0  # the bias is not shrunk

    def loss_and_gradient(flat: np.ndarray) -> tuple[float, np.ndarray]:
        weights = flat.reshape(shape)
        z = x @ weights
        z -= z.max(axis=1, keepdims=True)
        log_total = np.log(np.exp(z).sum(axis=1))
        p = np.exp(z - log_total[:, None])
        loss = float((log_total - z[at_label]).sum())
        p[at_label] -= 1.0
        shrunk = weights * unpenalised
        loss += float((shrunk**2).sum()) / (2 * inverse_penalty)
        gradient = x.T @ p + shrunk / inverse_penalty
        return loss / x.shape[0], np.asarray(gradient).ravel() / x.shape[0]

    result = minimize(
        loss_and_gradient,
        np.zeros(shape).ravel(),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": max_iterations, "gtol": tolerance, "ftol": loss_tolerance},
    )
    return np.asarray(result.x, dtype=np.float64).reshape(shape)


def fit_binary(
    rows: np.ndarray, labels: np.ndarray, penalty: float, *, tolerance: float, max_iterations: int
) -> tuple[np.ndarray, float]:
    """(weights, bias) of P(label 1) = sigmoid(weights . row + bias), with `penalty` / 2 x |weights|^2
    added to the summed log loss, fitted to convergence (no loss tolerance).

    Two softmax classes are one sigmoid of their difference; at the optimum their weights are opposite,
    so the L2 term on both is |difference|^2 / (4 C), which is `penalty` / 2 x |difference|^2 when
    C = 1 / (2 x penalty)."""
    weights = fit(
        rows,
        np.asarray(labels, dtype=np.intp),
        2,
        1.0 / (2.0 * penalty),
        tolerance=tolerance,
        max_iterations=max_iterations,
        loss_tolerance=0.0,
    )
    difference = weights[:, 1] - weights[:, 0]
    return difference[:-1], float(difference[-1])
