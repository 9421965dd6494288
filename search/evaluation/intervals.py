"""Prediction intervals that are measured, not assumed.

**Normalised split-conformal** on log errors: a forecast's error is scored as
``s = |log(y / ŷ)| / σ̂``, where σ̂ is the exponentially weighted volatility of the daily log returns
*before* the forecast's origin (RiskMetrics, λ = 0.94): an online quantity that any forecaster
knows on the day it forecasts. The ⌈(n+1)·level⌉-th smallest score on the walk-forward
validation days (each fold's model fitted before its block) gives q per horizon step, and the band
is ``ŷ·exp(±q·σ̂)``: positive whatever the level, wide in wild weeks and narrow in calm ones. Under
exchangeable scores it covers at least ``level``; dividing by σ̂ is what makes a calm validation
year and a wild test year (or the reverse) exchangeable enough. Round two's band, ``ŷ·(1 ± q)``
from the raw relative errors, over-covered by 6–9 points when the test year was calmer.

The seed's band, mean ± 1.96 σ of the members' (or seeds') forecasts, is reported beside it. Both
report their coverage measured on the test split.

Example:
    >>> import numpy as np
    >>> q = conformal_halfwidth(np.array([[1.0], [2.0], [3.0], [4.0]]), 0.5)
    >>> q.tolist()   # k = ceil(5 * 0.5) = 3: the third smallest
    [3.0]
    >>> lo, hi = band(np.array([[100.0]]), np.array([0.04]), np.array([2.0]))
    >>> round(float(lo[0, 0]), 2), round(float(hi[0, 0]), 2)   # 100·exp(∓0.08)
    (92.31, 108.33)
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

LEVELS = (0.8, 0.95)
LAMBDA = 0.94  # RiskMetrics' daily decay
WARMUP = 30  # days whose return variance starts the recursion


def ewma_volatility(prices: np.ndarray, lam: float = LAMBDA) -> np.ndarray:
    """σ̂ for every day t: the EWMA of squared daily log returns up to day t − 1 (so day t's own
    move is not in it)."""
    ret = np.r_[0.0, np.diff(np.log(np.asarray(prices, dtype="float64")))]  # ret[d]: day d's move
    var = np.empty(len(ret))
    var[:2] = np.mean(ret[1 : WARMUP + 1] ** 2) if len(ret) > 1 else 0.0
    for d in range(2, len(ret)):
        var[d] = lam * var[d - 1] + (1 - lam) * ret[d - 1] ** 2
    return np.sqrt(np.maximum(var, 1e-12))


def conformal_halfwidth(scores: np.ndarray, level: float) -> np.ndarray:
    """Per-step half-width: the ⌈(n+1)·level⌉-th smallest calibration score (the largest when that
    exceeds n: too few points for the level to be guaranteed)."""
    n = len(scores)
    rank = min(n, math.ceil((n + 1) * level))
    return np.quantile(np.asarray(scores, dtype="float64"), rank / n, axis=0, method="inverted_cdf")


def scores(actual: np.ndarray, forecast: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """``|log(y/ŷ)| / σ̂`` per window and step; ``sigma`` (n,) is σ̂ at each window's origin."""
    return np.abs(np.log(np.asarray(actual) / np.asarray(forecast))) / np.asarray(sigma)[:, None]


def band(forecast: np.ndarray, sigma: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``ŷ·exp(±q·σ̂)``: ``forecast`` (n, horizon), ``sigma`` (n,), ``q`` (horizon,)."""
    width = np.asarray(q)[None, :] * np.asarray(sigma)[:, None]
    return forecast * np.exp(-width), forecast * np.exp(width)


def coverage(y: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> float:
    return float(np.mean((y >= lo) & (y <= hi)))


def seed_band(member_preds: np.ndarray, z: float = 1.96) -> tuple[np.ndarray, np.ndarray]:
    """The seed's interval: mean ± z·std over members, ``member_preds`` is (n, members, horizon)."""
    mean, std = member_preds.mean(axis=1), member_preds.std(axis=1)
    return mean - z * std, mean + z * std


def calibrate(val_actual, val_forecast, val_sigma) -> dict[float, np.ndarray]:
    """q per horizon step at every level, from the validation days."""
    s = scores(val_actual, val_forecast, val_sigma)
    return {level: conformal_halfwidth(s, level) for level in LEVELS}


def beyond(q: np.ndarray, days: int) -> np.ndarray:
    """q for steps 1..days: calibrated up to the model's horizon H, then growing as √(h/H) (a
    random walk's spread), stated wherever a forecast is drawn."""
    horizon = len(q)
    return np.array([q[min(h, horizon) - 1] * math.sqrt(max(1.0, h / horizon)) for h in range(1, days + 1)])


def interval_summary(frame, val_days, val_actual, val_forecast, test_days, test_actual, test_forecast):
    """Calibrate on validation, apply to test: ``(summary, {level: (lo, hi)})``. ``*_days`` are each
    window's first target day; σ̂ comes from ``frame``'s prices before it."""
    sigma = ewma_volatility(frame["target"].to_numpy(dtype="float64"))
    at = {day: sigma[i] for i, day in enumerate(frame.index)}
    val_sigma, test_sigma = (np.array([at[d] for d in days]) for days in (val_days, test_days))
    qs = calibrate(val_actual, val_forecast, val_sigma)
    levels, bands = [], {}
    for level, q in qs.items():
        lo, hi = band(test_forecast, test_sigma, q)
        bands[level] = (lo, hi)
        levels.append({"nominal": level, "q": q.tolist(), "coverage": coverage(test_actual, lo, hi),
                       "mean_relative_width": float(np.mean((hi - lo) / test_forecast))})
    return {"method": "normalised split-conformal on the walk-forward validation errors: |log(y/ŷ)| / σ̂, "
                      f"σ̂ the EWMA (λ = {LAMBDA}) volatility of daily log returns before each day; band ŷ·exp(±q·σ̂)",
            "n_calibration": len(val_actual), "levels": levels, "lambda": LAMBDA}, bands


def next_sigma(prices: np.ndarray) -> float:
    """σ̂ for the day after the last price (its own move included)."""
    p = np.asarray(prices, dtype="float64")
    sigma = ewma_volatility(p)
    return float(np.sqrt(LAMBDA * sigma[-1] ** 2 + (1 - LAMBDA) * np.log(p[-1] / p[-2]) ** 2))


def write_intervals(final, val_table, static_csv: Path, name: str, horizon: int, work: Path) -> dict:
    """Conformal bands for ``name``: calibrated on its validation forecasts, measured on its static test
    forecast; the bands go to ``predictions/intervals.csv``."""
    import pandas as pd

    from search.evaluation.metrics import windows
    from search.files import write_csv

    table = pd.read_csv(static_csv, parse_dates=["date"])
    info, bands = interval_summary(final.frame, val_table[val_table["step"] == 1]["date"],
                                   windows(val_table, "actual", horizon), windows(val_table, name, horizon),
                                   table[table["step"] == 1]["date"], windows(table, "actual", horizon),
                                   windows(table, name, horizon))
    columns = {"date": table["date"], "step": table["step"], "actual": table["actual"], "forecast": table[name]}
    for level, (lo, hi) in bands.items():
        pct = int(round(level * 100))
        columns[f"lo{pct}"], columns[f"hi{pct}"] = lo.ravel(), hi.ravel()
    write_csv(work / "predictions" / "intervals.csv", pd.DataFrame(columns))
    return {"forecaster": name, **info, "csv": f"{work.name}/predictions/intervals.csv"}
