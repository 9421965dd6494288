"""Prediction intervals that are measured, not assumed.

**Online normalised conformal** on log errors: a forecast's error is scored as
``s = |log(y / ŷ)| / σ̂``, where σ̂ is the exponentially weighted volatility of the daily log returns
*before* the forecast's origin (RiskMetrics, λ = 0.94): an online quantity that any forecaster
knows on the day it forecasts. The band is ``ŷ·exp(±q·σ̂)``, positive whatever the level, wide in
wild weeks and narrow in calm ones. q is the conformal quantile of the scores known on the day:
the walk-forward validation days' (each fold's model fitted before its block), then every test
day's once its price is known; and its level adapts as the days go by (adaptive conformal
inference, Gibbs and Candès 2021: α ← α + γ·(α₀ − miss), γ = 0.01), so that a lasting change
of regime shows up as a wider or narrower band instead of a missed level. Each day's band uses
only what was known before that day, as a live forecaster's would.

Measured on the three CoinDesk eras (naive's forecasts, ``search.bench --only truth``): 80% bands
covered 80.6%, 80.7% and 79.3% of test days, 95% bands 95.7%, 95.3% and 95.0%. Round two's band,
``ŷ·(1 ± q)`` from raw relative errors of the validation days, covered 52.9%–87.4% at 80%.

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
GAMMA = 0.01  # ACI's step: how fast the level follows the misses


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


def online_bands(calibration: np.ndarray, actual: np.ndarray, forecast: np.ndarray, sigma: np.ndarray,
                 level: float, gamma: float = GAMMA):
    """Bands for consecutive daily windows, each from the scores known before its day.

    ``calibration`` (n, horizon): validation scores. Window t's step-h price is known on day
    t + h − 1, so before window t the step-h scores of windows up to t − h are added, and the
    level moves by ``gamma`` for each miss or hit among them. Returns ``(lo, hi, q)``, q the
    half-width per step after the last day (for forecasts past the data)."""
    m, horizon = forecast.shape
    lo, hi = np.empty_like(forecast), np.empty_like(forecast)
    realised = scores(actual, forecast, sigma)
    q_last = np.empty(horizon)
    for h in range(horizon):
        known, alpha = list(calibration[:, h]), 1 - level
        for t in range(m):
            if t - h - 1 >= 0:  # window t - h - 1's step h is known by now: score it, follow it
                done = t - h - 1
                alpha += gamma * ((1 - level) - float(not lo[done, h] <= actual[done, h] <= hi[done, h]))
                known.append(realised[done, h])
            q = conformal_halfwidth(np.asarray(known), min(max(1 - alpha, 0.0), 1.0))
            lo[t, h], hi[t, h] = forecast[t, h] * np.exp(-q * sigma[t]), forecast[t, h] * np.exp(q * sigma[t])
        known += list(realised[max(m - h - 1, 0):, h])
        q_last[h] = conformal_halfwidth(np.asarray(known), min(max(1 - alpha, 0.0), 1.0))
    return lo, hi, q_last


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
    calibration = scores(val_actual, val_forecast, val_sigma)
    levels, bands = [], {}
    for level in LEVELS:
        lo, hi, q = online_bands(calibration, test_actual, test_forecast, test_sigma, level)
        bands[level] = (lo, hi)
        levels.append({"nominal": level, "q": q.tolist(), "coverage": coverage(test_actual, lo, hi),
                       "mean_relative_width": float(np.mean((hi - lo) / test_forecast))})
    return {"method": "online normalised conformal: scores |log(y/ŷ)| / σ̂ (σ̂ the EWMA volatility of daily log "
                      f"returns before each day, λ = {LAMBDA}) of the validation days, then of each test day once "
                      f"known; level adapted to the misses (ACI, γ = {GAMMA}); band ŷ·exp(±q·σ̂)",
            "n_calibration": len(val_actual), "levels": levels, "lambda": LAMBDA, "gamma": GAMMA}, bands


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
