"""A search that stops when more trials cannot plausibly change its answer.

The answer is what the recommendation will be: a searched network displacing the best plain
forecaster (naive or classical) under the guard (:mod:`search.evaluation.recommend`), or a plain
one. After every finished trial the study asks two questions:

1. **Is the best still moving?** The best complete trial's pooled validation score has a noise of
   its own: the standard deviation of that score over a moving-block bootstrap of the validation
   days (blocks of 10 days keep their serial dependence). If the best now is within one such noise
   of the best ``patience`` finished trials ago (in this session), it is not.
2. **Could the guard change its mind?** The guard lets the best displace the best plain
   forecaster when both its own Diebold–Mariano test and SPA over every complete trial reject at
   5%; the larger of the two p-values is the guard's. If it passes already, more trials could only
   polish a settled answer; if it is above ``far`` (0.25), no plausible gain would pass it; in
   between, the search goes on.

Stopping needs both a still best and a settled guard, and at least ``min_trials`` finished trials.
``--trials`` stays the cap; ``--no-stop`` runs every trial asked for.

How it can be wrong: a landscape whose best region is narrow and far from where the sampler has
looked shows no gain for a while and then a large one; patience trades that risk for time. The
noise is the validation days' sampling noise, not the spread between seeds; a best trial that is
lucky in its epoch selection looks less noisy than it is. On near-random-walk data both errs are
small next to the gain: the recommendation is usually a plain forecaster, decided early.

Example (a flat landscape: thirty trials that all forecast naive plus noise):
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = 100 * np.exp(np.cumsum(rng.normal(scale=0.03, size=301)))
    >>> actual, naive = y[1:], y[:-1]
    >>> stop = EvidenceStop(actual, naive, ("naive", naive), min_trials=10, patience=10)
    >>> decided = [stop.update(i, naive + rng.normal(scale=0.05, size=300)) for i in range(30)]
    >>> decided.index(True) + 1, "no gain beyond its noise" in stop.reason
    (13, True)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from search.evaluation.metrics import diebold_mariano

BLOCK = 10  # days per bootstrap block
REPS = 300


def pooled(actual: np.ndarray, naive: np.ndarray, forecast: np.ndarray) -> float:
    return float(np.abs(actual - forecast).sum() / np.abs(actual - naive).sum())


def noise(actual: np.ndarray, naive: np.ndarray, forecast: np.ndarray, *, seed: int = 0) -> float:
    """Standard deviation of the pooled relative MAE over a moving-block bootstrap of the days."""
    rng = np.random.default_rng(seed)
    n = len(actual)
    model, base = np.abs(actual - forecast).reshape(n, -1).sum(1), np.abs(actual - naive).reshape(n, -1).sum(1)
    starts = rng.integers(0, max(n - BLOCK, 1), size=(REPS, -(-n // BLOCK)))
    idx = (starts[:, :, None] + np.arange(BLOCK)).reshape(REPS, -1)[:, :n] % n
    return float(np.std(model[idx].sum(1) / base[idx].sum(1)))


@dataclass
class EvidenceStop:
    """The stopping rule on one study's validation days (``actual``, ``naive``, and the best plain
    forecaster as ``(name, forecast)``). Feed it each finished trial with :meth:`update`."""

    actual: np.ndarray
    naive: np.ndarray
    plain: tuple[str, np.ndarray] | Callable[[], tuple[str, np.ndarray]]  # or made when first needed
    min_trials: int = 10
    patience: int = 10
    far: float = 0.25
    horizon: int = 1
    seen: int = 0
    since_gain: int = 0
    best: float = float("inf")
    trail: list[float] = field(default_factory=list)  # the best after each trial of this session
    best_forecast: np.ndarray | None = None
    best_noise: float = 0.0
    draws: dict[int, np.ndarray] = field(default_factory=dict)
    history: list[tuple[int, float, float]] = field(default_factory=list)  # (trial, best, its noise)
    reason: str = ""

    def update(self, number: int, forecast: np.ndarray | None, *, earlier: int = 0) -> bool:
        """Count trial ``number`` (its validation forecast, None if it did not complete); True when
        the search should stop. ``earlier``: finished trials of the study before this session."""
        self.seen += 1
        if forecast is not None:
            forecast = np.asarray(forecast, dtype="float64").reshape(self.actual.shape)
            self.draws[number] = forecast
            score = pooled(self.actual, self.naive, forecast)
            if score < self.best:
                self.best, self.best_forecast = score, forecast
                self.best_noise = noise(self.actual, self.naive, forecast)
                self.history.append((number, self.best, self.best_noise))
        self.trail.append(self.best)
        # trials since the best last stood more than its noise above where it is now
        self.since_gain = next((k for k, b in enumerate(reversed(self.trail)) if b > self.best + self.best_noise),
                               len(self.trail))
        if self.seen + earlier < self.min_trials or self.since_gain < self.patience or self.best_forecast is None:
            return False
        if callable(self.plain):
            self.plain = self.plain()
        p = self.guard_p()
        settled = p < 0.05 or p > self.far
        if settled:
            verdict = "passes" if p < 0.05 else f"is {p:.2g}, far from the 0.05 it would need"
            self.reason = (f"best validation rel. MAE {self.best:.4f} ± {self.best_noise:.4f} (block bootstrap over "
                           f"{len(self.actual)} validation days); no gain beyond its noise in the last "
                           f"{self.since_gain} trials; the guard's p against {self.plain[0]} {verdict}")
        return settled

    def guard_p(self) -> float:
        """The larger of the best's own Diebold–Mariano p and SPA's over every draw (1 if it is worse)."""
        import pandas as pd
        from arch.bootstrap import SPA

        name, plain = self.plain
        stat, p = diebold_mariano(self.actual, self.best_forecast, plain, horizon=self.horizon)
        if stat >= 0:
            return 1.0

        def losses(f):
            return np.abs(np.asarray(f).reshape(len(self.actual), -1) - self.actual.reshape(len(self.actual), -1)).mean(1)

        spa = SPA(losses(plain), pd.DataFrame({n: losses(f) for n, f in self.draws.items()}), reps=500, seed=0)
        spa.compute()
        return max(p, float(spa.pvalues["consistent"]))
