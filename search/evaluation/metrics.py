"""Forecast metrics as plain functions of arrays, shared by the naive baseline and every model.

Arrays are ``(n, horizon)`` or ``(n,)`` prices. For horizon > 1 every metric is averaged over
all days and horizon steps (the seed's convention).

Example:
    >>> import numpy as np
    >>> y = np.array([1.0, 2.0, 4.0]); naive = np.array([1.0, 1.0, 2.0])
    >>> round(mase(y, naive), 3)   # naive MAE 1.0 / mean |diff(y)| 1.5
    0.667
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats


def windows(table, column: str, horizon: int) -> np.ndarray:
    """A column of a long table of forecasts (a row per window and step) as ``(n windows, horizon)``."""
    return table[column].to_numpy(dtype="float64").reshape(-1, horizon)


def _err(y_true, y_pred) -> np.ndarray:
    y_true, y_pred = np.asarray(y_true, dtype="float64"), np.asarray(y_pred, dtype="float64")
    if y_true.shape != y_pred.shape:
        raise ValueError(f"shape mismatch: y_true {y_true.shape} vs y_pred {y_pred.shape}")
    return y_pred - y_true


def mae(y_true, y_pred) -> float:
    return float(np.mean(np.abs(_err(y_true, y_pred))))


def mse(y_true, y_pred) -> float:
    return float(np.mean(_err(y_true, y_pred) ** 2))


def rmse(y_true, y_pred) -> float:
    return math.sqrt(mse(y_true, y_pred))


def mape(y_true, y_pred) -> float:
    """Mean absolute percentage error, in percent."""
    return float(np.mean(np.abs(_err(y_true, y_pred) / np.asarray(y_true, dtype="float64"))) * 100)


def mase(y_true, y_pred) -> float:
    """MAE scaled by the one-step naive MAE of the evaluated targets themselves (the seed's MASE)."""
    y_true = np.asarray(y_true, dtype="float64")
    return mae(y_true, y_pred) / float(np.mean(np.abs(np.diff(y_true, axis=0))))


def mase_insample(y_true, y_pred, train_series) -> float:
    """Hyndman's MASE: MAE scaled by the in-sample one-step naive MAE of the training series."""
    return mae(y_true, y_pred) / float(np.mean(np.abs(np.diff(np.asarray(train_series, dtype="float64")))))


def rel_mae(y_true, y_pred, y_naive) -> float:
    """MAE relative to the naive forecast's on the same days: below 1 beats naive."""
    return mae(y_true, y_pred) / mae(y_true, y_naive)


def pooled_rel_mae(actuals, naives, forecasts) -> float:
    """Relative MAE over several blocks of days (walk-forward folds): total absolute error of the
    forecasts over that of naive, so every day weighs the same whatever its block."""
    model = sum(float(np.abs(_err(y, f)).sum()) for y, f in zip(actuals, forecasts, strict=True))
    return model / sum(float(np.abs(_err(y, n)).sum()) for y, n in zip(actuals, naives, strict=True))


def evaluate(y_true, y_pred, train_series) -> dict[str, float]:
    """Every metric the leaderboards show, keyed by name."""
    return {
        "mae": mae(y_true, y_pred),
        "mse": mse(y_true, y_pred),
        "rmse": rmse(y_true, y_pred),
        "mape": mape(y_true, y_pred),
        "mase": mase(y_true, y_pred),
        "mase_insample": mase_insample(y_true, y_pred, train_series),
    }


def diebold_mariano(y_true, pred_a, pred_b, *, horizon: int = 1, loss: str = "abs") -> tuple[float, float]:
    """Diebold–Mariano test of equal accuracy, Harvey–Leybourne–Newbold corrected.

    Returns ``(statistic, two-sided p-value)``; a negative statistic means ``pred_a`` has the
    lower loss. ``loss`` is ``"abs"`` or ``"sq"``. Multi-horizon forecasts are compared on
    their per-window mean loss.
    """
    ea, eb = _err(y_true, pred_a), _err(y_true, pred_b)
    f = np.abs if loss == "abs" else np.square
    d = f(ea).reshape(len(ea), -1).mean(axis=1) - f(eb).reshape(len(eb), -1).mean(axis=1)
    n = len(d)
    dc = d - d.mean()
    gamma = [float(np.dot(dc[k:], dc[: n - k]) / n) for k in range(horizon)]
    var = (gamma[0] + 2 * sum(gamma[1:])) / n
    if var <= 0:
        return 0.0, 1.0
    dm = float(d.mean() / math.sqrt(var))
    dm *= math.sqrt((n + 1 - 2 * horizon + horizon * (horizon - 1) / n) / n)
    return dm, float(2 * stats.t.sf(abs(dm), df=n - 1))
