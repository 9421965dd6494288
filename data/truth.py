"""Series whose truth is known, generated from a seed: what a forecaster could at best achieve is
written down, so that the tool's claims (a gain is real, a band covers 80%) can be checked.

``--data truth:KIND[:SEED[:DAYS]]`` reads one like any dataset. Every kind has the BTC file's length
(2,787 days from 2013-10-01, unless ``DAYS`` says otherwise), starts at its first close (123.65) and
has its daily volatility of log returns (0.039); only the structure of the log returns ``r`` differs:

- ``random_walk``: ``r = σ·z``, z standard normal. Nothing is learnable: naive is the oracle.
- ``ar1``: ``r_t = φ·r_{t-1} + σ·√(1-φ²)·z_t``, φ = 0.2: weak *linear* predictability, which
  ARIMA can use. Oracle rel. MAE vs naive √(1-φ²) = 0.980 (normal shocks, in returns).
- ``nonlinear``: ``r_t = σ_e·(a·(|x_{t-1}| - c) + z_t)`` with ``x = r/σ_e``, a = 0.6: the next
  mean depends on the *size* of the last move, not its sign. The lag-1 autocorrelation is ~0.01,
  so ETS, Theta and ARIMA see nothing; a network reading log returns can learn ``|x|``. Oracle
  rel. MAE 0.932 (from a simulation of 400,000 days; no closed form).
- ``garch``: GARCH(1,1) variance ``h_t = ω + α·r²_{t-1} + β·h_{t-1}`` (α = 0.10, β = 0.85) with
  Student-t(4) shocks scaled to unit variance: heavy tails and volatility clustering, nothing
  learnable in the mean (naive is the oracle), but the oracle's bands follow ``√h_t``.

The oracle's point forecast of a day is the median of the price given everything before it (the
forecast with the lowest expected absolute error); its band at level L is the conditional
quantiles. Both are computed from past prices alone, with the known parameters.

Example:
    >>> frame = generate("ar1", seed=1)
    >>> len(frame), str(frame.index[0].date()), round(float(frame["target"].iloc[0]), 2)
    (2787, '2013-10-01', 123.65)
    >>> round(rel_mae(frame, oracle(frame).median), 3)  # φ = 0.2: close to √(1 - 0.04) = 0.980
    0.982
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from data.errors import DataError

PREFIX = "truth:"
KINDS = ("random_walk", "ar1", "nonlinear", "garch")
LENGTH, START, FIRST_PRICE, SIGMA = 2787, "2013-10-01", 123.65, 0.039
PHI = 0.2
A, C = 0.6, 0.8551  # nonlinear: slope on |x| and the centre that makes the mean return zero
ALPHA, BETA, DOF = 0.10, 0.85, 4
# The nonlinear kind's shocks have sd σ_e, chosen so that its returns have sd σ like the others'.
NONLINEAR_SD = 1.0725  # sd of x = a·(|x| - c) + z, from the same simulation
ORACLE_REL_MAE = {"random_walk": 1.0, "ar1": math.sqrt(1 - PHI**2), "nonlinear": 0.932, "garch": 1.0}


def parse(data: str) -> tuple[str, int, int]:
    """``truth:KIND[:SEED[:DAYS]]`` as (kind, seed, days)."""
    kind, *rest = data[len(PREFIX):].split(":")
    if kind not in KINDS:
        raise DataError(data, f"unknown kind {kind!r}; choose from {', '.join(KINDS)} (truth:KIND[:SEED[:DAYS]])")
    if len(rest) > 2 or not all(part.isdigit() for part in rest):
        raise DataError(data, "seed and days must be whole numbers (truth:KIND[:SEED[:DAYS]])")
    numbers = [int(part) for part in rest]
    seed, days = (numbers + [0])[0], (numbers[1:] + [LENGTH])[0]
    if days < 100:
        raise DataError(data, f"days must be at least 100, got {days}")
    return kind, seed, days


def dataset_name(data: str) -> str:
    kind, seed, days = parse(data)
    return f"truth-{kind}-{seed}" + (f"-{days}" if days != LENGTH else "")


def _returns(kind: str, rng: np.random.Generator, n: int) -> np.ndarray:
    if kind == "random_walk":
        return SIGMA * rng.standard_normal(n)
    if kind == "ar1":
        z, r = rng.standard_normal(n), np.zeros(n)
        for t in range(1, n):
            r[t] = PHI * r[t - 1] + SIGMA * math.sqrt(1 - PHI**2) * z[t]
        return r
    if kind == "nonlinear":
        z, x = rng.standard_normal(n), np.zeros(n)
        for t in range(1, n):
            x[t] = A * (abs(x[t - 1]) - C) + z[t]
        return SIGMA / NONLINEAR_SD * x
    shocks = rng.standard_t(DOF, n) / math.sqrt(DOF / (DOF - 2))
    r, h = np.zeros(n), np.full(n, SIGMA**2)
    omega = SIGMA**2 * (1 - ALPHA - BETA)
    for t in range(1, n):
        h[t] = omega + ALPHA * r[t - 1] ** 2 + BETA * h[t - 1]
        r[t] = math.sqrt(h[t]) * shocks[t]
    return r


def generate(kind: str, seed: int = 0, *, n: int = LENGTH) -> pd.DataFrame:
    """A daily price series of ``kind`` (a column ``target``), the same for the same seed."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; choose from {', '.join(KINDS)}")
    rng = np.random.default_rng([KINDS.index(kind), seed])
    r = _returns(kind, rng, n)
    r[0] = 0.0  # the first day is the starting price
    prices = FIRST_PRICE * np.exp(np.cumsum(r))
    frame = pd.DataFrame({"target": prices}, index=pd.date_range(START, periods=n, freq="D", name="date"))
    text = frame.to_csv(float_format="%.10g").encode()
    frame.attrs.update(source=f"{PREFIX}{kind}:{seed}" + (f":{n}" if n != LENGTH else ""), null_rows=0,
                       sha256=hashlib.sha256(text).hexdigest())
    return frame


@dataclass(frozen=True)
class Oracle:
    """One-step forecasts of every day from the days before it (day 0 has none: NaN)."""

    median: np.ndarray  # the price's conditional median
    scale: np.ndarray  # the conditional sd of the log return
    kind: str

    def band(self, level: float) -> tuple[np.ndarray, np.ndarray]:
        """The conditional ``level`` interval of the price (central, in log space)."""
        q = _quantile(self.kind, 0.5 + level / 2)
        return self.median * np.exp(-q * self.scale), self.median * np.exp(q * self.scale)


def _quantile(kind: str, p: float) -> float:
    """Quantile of the standardised shock (unit variance)."""
    if kind == "garch":
        return float(stats.t.ppf(p, DOF) / math.sqrt(DOF / (DOF - 2)))
    return float(stats.norm.ppf(p))


def oracle(frame: pd.DataFrame, kind: str | None = None) -> Oracle:
    """The oracle of a generated frame (its kind read from ``frame.attrs['source']``)."""
    kind = kind or parse(frame.attrs["source"])[0]
    p = frame["target"].to_numpy(dtype="float64")
    r = np.r_[0.0, np.diff(np.log(p))]
    n = len(p)
    mean, scale = np.zeros(n), np.full(n, SIGMA)
    if kind == "ar1":
        mean[1:] = PHI * r[:-1]
        scale[:] = SIGMA * math.sqrt(1 - PHI**2)
    elif kind == "nonlinear":
        sd_e = SIGMA / NONLINEAR_SD
        mean[1:] = sd_e * A * (np.abs(r[:-1] / sd_e) - C)
        scale[:] = sd_e
    elif kind == "garch":
        h = np.full(n, SIGMA**2)
        for t in range(1, n):
            h[t] = SIGMA**2 * (1 - ALPHA - BETA) + ALPHA * r[t - 1] ** 2 + BETA * h[t - 1]
        scale = np.sqrt(h)
    median = np.r_[np.nan, p[:-1] * np.exp(mean[1:])]
    return Oracle(median, scale, kind)


def rel_mae(frame: pd.DataFrame, forecast: np.ndarray, days: slice = slice(1, None)) -> float:
    """MAE of ``forecast`` (one per day) over naive's, on ``days``."""
    p = frame["target"].to_numpy(dtype="float64")
    naive = np.r_[np.nan, p[:-1]]
    return float(np.nanmean(np.abs(p[days] - forecast[days])) / np.nanmean(np.abs(p[days] - naive[days])))
