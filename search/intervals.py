"""Prediction intervals that are measured, not assumed.

- Split-conformal: a model trained on train only predicts validation; the ``level`` quantile of
  its relative errors |y/ŷ − 1| (finite-sample corrected) gives the band ŷ·(1 ± q) per horizon
  step. Relative, because a price series changes scale: absolute errors of a $8k validation year
  under-cover a $60k test year.
- The seed's band: mean ± 1.96 σ of the members' (or seeds') forecasts. Both report the
  empirical coverage on the test split beside their nominal level.

Example:
    >>> import numpy as np
    >>> q = conformal_halfwidth(np.array([[1.0], [2.0], [3.0], [4.0]]), 0.5)
    >>> q.tolist()
    [3.0]
"""

from __future__ import annotations

import math

import numpy as np

LEVELS = (0.8, 0.95)


def conformal_halfwidth(abs_residuals: np.ndarray, level: float) -> np.ndarray:
    """Per-step half-width: the ceil((n+1)·level)/n quantile of validation errors (per column)."""
    n = len(abs_residuals)
    q = min(1.0, math.ceil((n + 1) * level) / n)
    return np.quantile(abs_residuals, q, axis=0, method="higher")


def coverage(y: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> float:
    return float(np.mean((y >= lo) & (y <= hi)))


def seed_band(member_preds: np.ndarray, z: float = 1.96) -> tuple[np.ndarray, np.ndarray]:
    """The seed's interval: mean ± z·std over members, ``member_preds`` is (n, members, horizon)."""
    mean, std = member_preds.mean(axis=1), member_preds.std(axis=1)
    return mean - z * std, mean + z * std
