"""Prediction intervals that are measured, not assumed.

- Split-conformal: the recommended forecaster's validation forecasts (each fold's model was fitted
  before its block, so they are honest out-of-sample errors) give relative errors |y/ŷ − 1|;
  their k-th smallest, k = ⌈(n+1)·level⌉, is the half-width q of the band ŷ·(1 ± q), per horizon
  step. Relative, because a price series changes scale: absolute errors of a $8k validation year
  under-cover a $60k test year. Under exchangeable errors the band covers at least ``level``.
- The seed's band: mean ± 1.96 σ of the members' (or seeds') forecasts.

Both report the empirical coverage on the test split beside their nominal level.

Example:
    >>> import numpy as np
    >>> q = conformal_halfwidth(np.array([[1.0], [2.0], [3.0], [4.0]]), 0.5)
    >>> q.tolist()   # k = ceil(5 * 0.5) = 3: the third smallest
    [3.0]
"""

from __future__ import annotations

import math

import numpy as np

LEVELS = (0.8, 0.95)


def conformal_halfwidth(abs_residuals: np.ndarray, level: float) -> np.ndarray:
    """Per-step half-width: the ⌈(n+1)·level⌉-th smallest calibration error (the largest when
    that exceeds n: too few points for the level to be guaranteed)."""
    n = len(abs_residuals)
    k = min(n, math.ceil((n + 1) * level))
    return np.sort(np.asarray(abs_residuals, dtype="float64"), axis=0)[k - 1]


def coverage(y: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> float:
    return float(np.mean((y >= lo) & (y <= hi)))


def seed_band(member_preds: np.ndarray, z: float = 1.96) -> tuple[np.ndarray, np.ndarray]:
    """The seed's interval: mean ± z·std over members, ``member_preds`` is (n, members, horizon)."""
    mean, std = member_preds.mean(axis=1), member_preds.std(axis=1)
    return mean - z * std, mean + z * std


def conformal_bands(val_actual: np.ndarray, val_forecast: np.ndarray, test_forecast: np.ndarray) -> dict:
    """Relative half-widths from validation errors, and the bands they put around ``test_forecast``."""
    residuals = np.abs(np.asarray(val_actual) / np.asarray(val_forecast) - 1)
    out = {}
    for level in LEVELS:
        q = conformal_halfwidth(residuals, level)
        out[level] = (q, test_forecast * (1 - q), test_forecast * (1 + q))
    return out
