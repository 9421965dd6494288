"""Greedy ensemble selection (Caruana et al., 2004) on the walk-forward validation days.

Start from the best single candidate; at each step add, with replacement, the candidate whose
inclusion lowers the pooled validation MAE of the ensemble's mean forecast the most; stop when
nothing lowers it or the ensemble reaches ``size`` picks. Weights are the pick counts over the
total, so the forecast is a convex combination: on a near-random-walk target, combining models
with naive is the classical way to beat any one of them.

Selection is fitted on the validation days, so its score there flatters it. With several folds
the ensemble's validation score is cross-fitted: each fold is forecast by the ensemble selected on
the other folds; only the final weights (for test) are selected on all of them.

Example:
    >>> import numpy as np
    >>> y = np.array([[1.0], [2.0], [3.0], [4.0]])
    >>> a = y + np.array([[1.0], [-1.0], [1.0], [-1.0]]); b = y - np.array([[1.0], [-1.0], [1.0], [-1.0]])
    >>> greedy_weights(y, {"a": a, "b": b}, naive=y + 2)
    {'a': 0.5, 'b': 0.5}
"""

from __future__ import annotations

import numpy as np

from search.evaluation.options import ENSEMBLE_SIZE


def greedy_weights(actual: np.ndarray, forecasts: dict[str, np.ndarray], *, naive: np.ndarray,
                   size: int = ENSEMBLE_SIZE) -> dict[str, float]:
    """Weights of the candidates picked greedily, with replacement (``naive`` only scales the score)."""
    names = list(forecasts)
    stack = np.stack([np.asarray(forecasts[n], dtype="float64") for n in names])  # (k, n, horizon)
    scale = float(np.abs(actual - naive).sum())

    def score(total, count):
        return float(np.abs(actual - total / count).sum()) / scale

    counts = np.zeros(len(names), dtype=int)
    total = np.zeros_like(stack[0])
    best = np.inf
    while counts.sum() < size:
        trial = [score(total + stack[i], counts.sum() + 1) for i in range(len(names))]
        i = int(np.argmin(trial))
        if trial[i] >= best - 1e-12:
            break
        best, counts[i], total = trial[i], counts[i] + 1, total + stack[i]
    return {names[i]: float(c / counts.sum()) for i, c in enumerate(counts) if c}


def combine(weights: dict[str, float], forecasts: dict[str, np.ndarray]) -> np.ndarray:
    return sum(w * np.asarray(forecasts[name], dtype="float64") for name, w in weights.items())


def cross_fitted(folds: list[dict], *, size: int = ENSEMBLE_SIZE) -> list[np.ndarray] | None:
    """Each fold's ensemble forecast with weights selected on the other folds (None with one fold).

    ``folds``: per fold, ``{"actual", "naive", "forecasts": {name: array}}``."""
    if len(folds) < 2:
        return None
    out = []
    for k, fold in enumerate(folds):
        rest = [f for i, f in enumerate(folds) if i != k]
        weights = greedy_weights(np.concatenate([f["actual"] for f in rest]),
                                 {n: np.concatenate([f["forecasts"][n] for f in rest]) for n in fold["forecasts"]},
                                 naive=np.concatenate([f["naive"] for f in rest]), size=size)
        out.append(combine(weights, fold["forecasts"]))
    return out
