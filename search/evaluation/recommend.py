"""One recommended forecaster, chosen on the walk-forward validation days only.

Candidates: the retrained configurations (their search scores), naive, the classical baselines,
and the best configuration shrunk toward naive, ŷ = naive + w·(model − naive). Every candidate is
scored the same way, pooled relative MAE over every validation day of every fold.

The searched candidates are the best of many trials, so their validation scores are the luckiest
of many draws (the winner's curse); naive and the classical models were not selected that way. The
rule (``guarded``, the default): the best searched candidate is recommended only when it beats the
best plain one (naive or classical) on the validation days significantly (Diebold–Mariano,
p < 0.05); otherwise the best plain one is, and the report says why. ``best`` takes the lowest
validation score, whatever it is. Naive or AutoETS is a legitimate answer.

The shrinkage weight is fitted on validation too, so its own validation score would flatter it.
With several folds it is cross-fitted: each fold's forecasts use the weight fitted on the other
folds, and only the final weight (for test) is fitted on all of them. With one fold there is no
honest score, and the shrunk forecaster is not a candidate.

Example:
    >>> import numpy as np
    >>> y = np.array([10.0, 11, 12, 11]); naive = np.array([9.0, 10, 11, 12]); model = np.array([10.0, 11, 11, 12])
    >>> shrink_weight([y], [naive], [model])
    1.0
"""

from __future__ import annotations

import numpy as np

GRID = np.linspace(0.0, 1.0, 101)


def shrink(naive: np.ndarray, model: np.ndarray, w: float) -> np.ndarray:
    return naive + w * (model - naive)


def _abs_error(ys, naives, models, w: float) -> float:
    return sum(float(np.abs(y - shrink(n, m, w)).sum()) for y, n, m in zip(ys, naives, models, strict=True))


def shrink_weight(ys: list[np.ndarray], naives: list[np.ndarray], models: list[np.ndarray]) -> float:
    """The weight in [0, 1] (steps of 0.01) with the lowest total absolute error over the blocks."""
    errors = [_abs_error(ys, naives, models, w) for w in GRID]
    return float(GRID[int(np.argmin(errors))])


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


SEARCHED = ("config", "shrink", "ensemble")


def choose(candidates: list[dict], table, horizon: int, *, rule: str = "guarded") -> dict:
    """The recommended candidate, with ``rule`` and ``why``; ``table`` holds the validation forecasts
    (columns ``actual`` and one per candidate, one row per day and step)."""
    from search.evaluation.metrics import diebold_mariano
    from search.evaluation.verdict import SIGNIFICANCE

    def score(c):
        return c["val_rel_mae"]

    best = min(candidates, key=score)  # ties go to the earlier, simpler candidate
    if rule == "best" or best["kind"] not in SEARCHED:
        return {**best, "rule": rule, "why": "the lowest validation score"}
    plain = min((c for c in candidates if c["kind"] not in SEARCHED), key=score)
    actual = table["actual"].to_numpy().reshape(-1, horizon)
    stat, p = diebold_mariano(actual, table[best["name"]].to_numpy().reshape(-1, horizon),
                              table[plain["name"]].to_numpy().reshape(-1, horizon), horizon=horizon)
    if stat < 0 and p < SIGNIFICANCE:
        return {**best, "rule": rule, "why": f"it beats {plain['name']} on the validation days significantly "
                                             f"(Diebold–Mariano p = {p:.3g})"}
    return {**plain, "rule": rule, "why": f"{best['name']} scored {best['val_rel_mae']:.4f} on validation against "
            f"{plain['val_rel_mae']:.4f}, not significantly better (Diebold–Mariano p = {p:.3g}), and it was the "
            "best of many trials"}
