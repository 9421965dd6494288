"""Every candidate's forecasts of the walk-forward validation days, and their scores.

The configurations' forecasts are the ones their trials were scored on, kept in the artifact
store. A trial whose forecasts are missing there (another machine's store, a moved folder) is
trained again as its trial was (its stored seed, epoch budget, patience and validation chunk),
with a note, and is scored on what was recomputed. Naive and the classical baselines come from the
workspace's cache (:mod:`search.evaluation.baselines`). The best configuration shrunk toward naive
is cross-fitted (:mod:`search.evaluation.recommend`).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from data import FinalData
from data.split import REFERENCE_WINDOW
from search.engine.artifacts import validation_table
from search.evaluation.baselines import validation_baselines
from search.evaluation.metrics import pooled_rel_mae
from search.evaluation.recommend import cross_fitted_shrink

log = logging.getLogger(__name__)
FIXED = ("fold", "date", "step", "actual")


def folds_of(final: FinalData, horizon: int):
    """The validation days (the same for every window size) as the reference window's folds."""
    return final.search().folds(window=REFERENCE_WINDOW, horizon=horizon)


def columns_of(table: pd.DataFrame, horizon: int, names=None) -> dict[str, list[np.ndarray]]:
    """Per-fold ``(n, horizon)`` arrays of the named columns (default: every forecaster) of a long table."""
    names = [c for c in table.columns if c not in FIXED] if names is None else names
    groups = [g for _, g in table.groupby("fold", sort=True)]
    return {n: [g[n].to_numpy(dtype="float64").reshape(-1, horizon) for g in groups] for n in names}


def wide_table(folds, columns: dict[str, list[np.ndarray]]) -> pd.DataFrame:
    parts = [pd.DataFrame({"fold": k, **fold.val.long_index(), "actual": fold.val.Y.ravel(),
                           **{name: blocks[k].ravel() for name, blocks in columns.items()}})
             for k, fold in enumerate(folds)]
    return pd.concat(parts, ignore_index=True)


def _recompute(study, trial, final: FinalData) -> tuple[pd.DataFrame, float]:
    from search.engine.objective import Objective
    from studies import load_study_spec

    config, attrs = trial.user_attrs["config"], study.user_attrs
    training = trial.user_attrs.get("training", {})
    spec = load_study_spec(attrs["family"], epochs=training.get("epochs", config["epochs"]),
                           patience=training.get("patience", config["patience"]), horizon=attrs["horizon"],
                           folds=final.plan.folds)
    value, _, table = Objective(spec, final.search()).evaluate(config, seed=trial.user_attrs.get("seed", 0),
                                                               eval_every=training.get("eval_every"))
    return table, value


def trial_forecasts(study, trial, final: FinalData, store) -> tuple[list[np.ndarray], float]:
    """The per-fold validation forecasts a trial was scored on, and the score they give."""
    horizon = study.user_attrs["horizon"]
    table = validation_table(trial, store)
    if table is None:
        table, value = _recompute(study, trial, final)
        log.info("%s trial %d: its validation forecasts are not in the artifact store; trained again as the trial "
                 "was: validation rel. MAE %.4f (the trial recorded %.4f)", study.study_name, trial.number, value,
                 trial.value)
        return columns_of(table, horizon, ["forecast"])["forecast"], value
    return columns_of(table, horizon, ["forecast"])["forecast"], float(trial.value)


def validation_candidates(study, trials, final: FinalData, store, *, names: dict[int, str],
                          ws=None) -> tuple[list[dict], pd.DataFrame]:
    """Candidates with their pooled validation score, and the table of their validation forecasts."""
    horizon = study.user_attrs["horizon"]
    folds = folds_of(final, horizon)
    columns = columns_of(validation_baselines(final, horizon, ws), horizon)
    actual, naive = [f.val.Y for f in folds], columns["naive"]
    candidates = [{"name": name, "kind": "naive" if name == "naive" else "classical",
                   "val_rel_mae": pooled_rel_mae(actual, naive, forecasts)} for name, forecasts in columns.items()]
    for trial in trials:
        columns[names[trial.number]], value = trial_forecasts(study, trial, final, store)
        candidates.append({"name": names[trial.number], "kind": "config", "trial": trial.number,
                           "val_rel_mae": value})
    best = min((c for c in candidates if c["kind"] == "config"), key=lambda c: c["val_rel_mae"])
    fitted = cross_fitted_shrink(actual, naive, columns[best["name"]])
    if fitted is not None:
        weight, forecasts = fitted
        name = f"shrunk {best['name']}"
        columns[name] = forecasts
        candidates.append({"name": name, "kind": "shrink", "trial": best["trial"], "weight": weight,
                           "of": best["name"], "val_rel_mae": pooled_rel_mae(actual, naive, forecasts)})
    return candidates, wide_table(folds, columns)
