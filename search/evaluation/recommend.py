"""One recommended forecaster, chosen on the walk-forward validation days only.

Candidates: the retrained configurations (their search scores), naive, the classical baselines,
and the best configuration shrunk toward naive, ŷ = naive + w·(model − naive). Every candidate is
scored the same way, pooled relative MAE over every validation day of every fold.

The searched candidates are the best of many trials, so their validation scores are the luckiest
of many draws (the winner's curse); naive and the classical models were not selected that way. The
**guard** lets the best searched candidate displace the best plain one (naive or classical) only
when the search as a whole shows an edge that its number of draws cannot explain. The rules:

- ``spa`` (the default): Hansen's test of Superior Predictive Ability (``arch.bootstrap.SPA``,
  consistent p-value) of every complete trial, and the shrunk best, against the best plain
  forecaster, on their validation losses (a stationary bootstrap over days keeps their serial
  dependence); and the best one's own Diebold–Mariano test. SPA asks whether *any* of the draws
  beats the benchmark, so a lucky draw among many does not pass, while draws that share a real
  edge do; the candidate's own test keeps a bootstrap's small variance on heavy-tailed days from
  passing a candidate that does not beat the benchmark itself. Chosen by its size and power on
  series of known truth (``python -m search.bench --only truth``; README): 0 of 20 no-signal
  series, 8 of 10 nonlinear ones.
- ``stepm``: Romano and Wolf's StepM over the same forecasts: the best must be among those that
  beat the benchmark at a 5% family-wise error. It chose as ``spa`` did on all 40 truth series.
- ``bonferroni``: Diebold–Mariano of the best against the best plain one at 5% / (trials drawn).
- ``dm``: Diebold–Mariano of the best against the best plain one at 5%, as if it were the only
  draw (round two's rule; too lenient after many trials).
- ``best``: the lowest validation score, unguarded.

The shrinkage weight is fitted on validation too, so its own validation score would flatter it.
With several folds it is cross-fitted: each fold's forecasts use the weight fitted on the other
folds, and only the final weight (for test) is fitted on all of them. With one fold there is no
honest score, and the shrunk forecaster is not a candidate.

Example:
    >>> import numpy as np
    >>> y = np.array([10.0, 11, 12, 11]); naive = np.array([9.0, 10, 11, 12]); model = np.array([10.0, 11, 11, 12])
    >>> round(shrink_weight([y], [naive], [model]), 3)  # the model's forecast is the better one: w = 1
    1.0
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize

from search.evaluation.metrics import diebold_mariano, windows
from search.evaluation.options import RULE, RULES  # noqa: F401  (RULES: the rules this module implements)
from search.evaluation.verdict import SIGNIFICANCE

SEARCHED = ("config", "shrink", "ensemble")


def shrink(naive: np.ndarray, model: np.ndarray, w: float) -> np.ndarray:
    return naive + w * (model - naive)


def shrink_weight(ys: list[np.ndarray], naives: list[np.ndarray], models: list[np.ndarray]) -> float:
    """The weight in [0, 1] with the lowest total absolute error over the blocks (a convex problem)."""
    y, n, m = (np.concatenate([np.ravel(a) for a in arrays]) for arrays in (ys, naives, models))

    def error(w):
        return float(np.abs(y - shrink(n, m, w)).sum())

    found = optimize.minimize_scalar(error, bounds=(0.0, 1.0), method="bounded", options={"xatol": 1e-4})
    # the optimum of a sum of |.| may sit on a bound, which a bounded search only approaches
    return float(min((0.0, 1.0, found.x), key=error))


def cross_fitted_shrink(ys, naives, models) -> tuple[float, list[np.ndarray]] | None:
    """The final weight and each fold's forecasts with a weight fitted on the other folds."""
    if len(ys) < 2:
        return None
    out = []
    for k in range(len(ys)):
        rest = [i for i in range(len(ys)) if i != k]
        w = shrink_weight([ys[i] for i in rest], [naives[i] for i in rest], [models[i] for i in rest])
        out.append(shrink(naives[k], models[k], w))
    return shrink_weight(ys, naives, models), out


@dataclass
class Evidence:
    """What the guard weighs. ``table``: validation forecasts of the candidates (``actual`` and one
    column each, a row per day and step); ``draws``: every complete trial's validation forecast,
    ``(n, horizon)`` by name; ``n_drawn``: trials sampled (complete and pruned)."""

    table: pd.DataFrame
    horizon: int
    draws: dict[str, np.ndarray] = field(default_factory=dict)
    n_drawn: int = 1

    def column(self, name: str) -> np.ndarray:
        return windows(self.table, name, self.horizon)

    def losses(self, forecast: np.ndarray) -> np.ndarray:
        return np.abs(np.asarray(forecast).reshape(-1, self.horizon) - self.column("actual")).mean(axis=1)


def _searched_losses(evidence: Evidence, searched: list[str]) -> pd.DataFrame:
    return pd.DataFrame({**{n: evidence.losses(f) for n, f in evidence.draws.items()},
                         **{n: evidence.losses(evidence.column(n)) for n in searched}})


def spa_pvalue(evidence: Evidence, plain: str, searched: list[str], *, seed: int = 0) -> float:
    """Consistent SPA p-value of the searched forecasts (every draw and ``searched``) against ``plain``."""
    from arch.bootstrap import SPA

    spa = SPA(evidence.losses(evidence.column(plain)), _searched_losses(evidence, searched), reps=2000, seed=seed)
    spa.compute()
    return float(spa.pvalues["consistent"])


def stepm_superior(evidence: Evidence, plain: str, searched: list[str], *, seed: int = 0) -> list[str]:
    """The searched forecasts that beat ``plain`` with the family-wise error over all of them at 5%
    (Romano and Wolf's StepM)."""
    from arch.bootstrap import StepM

    stepm = StepM(evidence.losses(evidence.column(plain)), _searched_losses(evidence, searched),
                  size=SIGNIFICANCE, reps=2000, seed=seed)
    stepm.compute()
    return list(stepm.superior_models)


def guard(rule: str, evidence: Evidence, best: dict, plain: dict, searched: list[str]) -> tuple[bool, str]:
    """Whether ``best`` (searched) may displace ``plain``, and the evidence in words."""
    stat, p = diebold_mariano(evidence.column("actual"), evidence.column(best["name"]),
                              evidence.column(plain["name"]), horizon=evidence.horizon)
    if rule == "dm":
        return stat < 0 and p < SIGNIFICANCE, f"Diebold–Mariano p = {p:.3g}"
    if rule == "bonferroni":
        level = SIGNIFICANCE / max(evidence.n_drawn, 1)
        return stat < 0 and p < level, f"Diebold–Mariano p = {p:.3g} against {level:.2g} for {evidence.n_drawn} trials"
    n = len(evidence.draws) + len(searched)
    if rule == "stepm":
        superior = stepm_superior(evidence, plain["name"], searched)
        return best["name"] in superior, (f"Romano–Wolf StepM over {n} searched forecasts: {len(superior)} beat it at "
                                          f"5%, {'including' if best['name'] in superior else 'not'} {best['name']}")
    p_spa = spa_pvalue(evidence, plain["name"], searched)
    # Both: the search as a whole beats the plain forecaster (SPA), and so does the candidate itself
    # (Diebold-Mariano, HAC variance), which a bootstrap's variance can flatter on heavy-tailed days.
    return stat < 0 and p < SIGNIFICANCE and p_spa < SIGNIFICANCE, \
        f"SPA p = {p_spa:.3g} over {n} searched forecasts, its own Diebold–Mariano p = {p:.3g}"


def choose(candidates: list[dict], evidence: Evidence, *, rule: str = RULE) -> dict:
    """The recommended candidate, with ``rule``, ``why`` and ``guard`` (the evidence in words)."""

    def score(c):
        return c["val_rel_mae"]

    best = min(candidates, key=score)  # ties go to the earlier, simpler candidate
    if rule == "best" or best["kind"] not in SEARCHED:
        return {**best, "rule": rule, "why": "it has the lowest validation score"}
    plain = min((c for c in candidates if c["kind"] not in SEARCHED), key=score)
    searched = [c["name"] for c in candidates if c["kind"] in SEARCHED and c["name"] not in evidence.draws]
    passed, words = guard(rule, evidence, best, plain, searched)
    if passed:
        return {**best, "rule": rule, "guard": words,
                "why": f"it beats {plain['name']} on the validation days by more than its {evidence.n_drawn} trials' "
                       f"luck explains ({words})"}
    return {**plain, "rule": rule, "guard": words,
            "why": f"{best['name']} scored {best['val_rel_mae']:.4f} on validation against {plain['val_rel_mae']:.4f}, "
                   f"an edge the luck of {evidence.n_drawn} trials explains ({words})"}
