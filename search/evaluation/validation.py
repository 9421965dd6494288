"""Every candidate's forecasts of the walk-forward validation days, and their scores.

The configurations' forecasts are the ones their trials were scored on (kept in the artifact
store; recomputed with the trial's seed when missing, e.g. for keras-tuner trials). Naive and the
classical baselines are fitted at each fold's origin, as the fold's models were, once per study
(kept as a study artifact). The best configuration shrunk toward naive is cross-fitted
(:mod:`search.evaluation.recommend`).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from data import FinalData
from search.engine.artifacts import BASELINES_KEY, load_table, validation_table
from search.evaluation.baselines import CLASSICAL, classical_forecast, positions
from search.evaluation.metrics import pooled_rel_mae
from search.evaluation.recommend import cross_fitted_shrink


def folds_of(final: FinalData, horizon: int):
    """The validation days (the same for every window size): the folds' windows at window 7."""
    return final.search().folds(window=7, horizon=horizon)


def columns_of(table: pd.DataFrame, horizon: int, names) -> dict[str, list[np.ndarray]]:
    """Per-fold ``(n, horizon)`` arrays of the named columns of a long validation table."""
    groups = [g for _, g in table.groupby("fold", sort=True)]
    return {n: [g[n].to_numpy(dtype="float64").reshape(-1, horizon) for g in groups] for n in names}


def wide_table(folds, columns: dict[str, list[np.ndarray]]) -> pd.DataFrame:
    parts = [pd.DataFrame({"fold": k, **fold.val.long_index(), "actual": fold.val.Y.ravel(),
                           **{name: blocks[k].ravel() for name, blocks in columns.items()}})
             for k, fold in enumerate(folds)]
    return pd.concat(parts, ignore_index=True)


def baseline_table(final: FinalData, horizon: int) -> pd.DataFrame:
    """Naive's and the classical models' forecasts of every validation day, fitted at each origin."""
    folds = folds_of(final, horizon)
    frame = final.search().frame
    prices = frame["target"].to_numpy(dtype="float64")
    blocks = [(frame.index.get_loc(origin), positions(frame, f.val.days))
              for origin, f in zip(final.plan.val_starts, folds, strict=True)]
    columns = {"naive": [f.val.naive for f in folds]}
    for name in CLASSICAL:
        try:
            forecast = classical_forecast(name, prices, blocks, horizon=horizon)
        except Exception as err:  # a classical fit that fails is reported, not fatal
            warnings.warn(f"{name} failed on validation: {err}", stacklevel=2)
            continue
        columns[name] = np.split(forecast, np.cumsum([len(f.val) for f in folds])[:-1])
    return wide_table(folds, columns)


def baselines_of(study, final: FinalData, store) -> pd.DataFrame:
    """The study's stored baseline table, or a fresh one (studies made before it was stored)."""
    table = load_table(study.user_attrs, store, key=BASELINES_KEY)
    return table if table is not None else baseline_table(final, study.user_attrs["horizon"])


def _recompute(study, trial, final: FinalData) -> pd.DataFrame:
    from search.engine.objective import Objective
    from studies import load_study_spec

    config, attrs = trial.user_attrs["config"], study.user_attrs
    spec = load_study_spec(attrs["family"], epochs=config["epochs"], patience=config["patience"],
                           horizon=attrs["horizon"], folds=final.plan.folds)
    _, _, table = Objective(spec, final.search()).evaluate(config, seed=trial.user_attrs.get("seed", 0))
    return table


def trial_forecasts(study, trial, final: FinalData, store) -> list[np.ndarray]:
    """The per-fold validation forecasts a trial was scored on."""
    table = validation_table(trial, store)
    table = table if table is not None else _recompute(study, trial, final)
    return columns_of(table, study.user_attrs["horizon"], ["forecast"])["forecast"]


def validation_candidates(study, trials, final: FinalData, store, *, names: dict[int, str]) -> tuple[list[dict], pd.DataFrame]:
    """Candidates with their pooled validation score, and the table of their validation forecasts."""
    horizon = study.user_attrs["horizon"]
    folds = folds_of(final, horizon)
    baselines = baselines_of(study, final, store)
    columns = columns_of(baselines, horizon, [c for c in baselines.columns if c not in ("fold", "date", "step", "actual")])
    actual, naive = [f.val.Y for f in folds], columns["naive"]
    candidates = [{"name": name, "kind": "naive" if name == "naive" else "classical",
                   "val_rel_mae": pooled_rel_mae(actual, naive, forecasts)} for name, forecasts in columns.items()]
    for trial in trials:
        columns[names[trial.number]] = trial_forecasts(study, trial, final, store)
        candidates.append({"name": names[trial.number], "kind": "config", "trial": trial.number,
                           "val_rel_mae": float(trial.value)})
    best = names[trials[0].number]
    fitted = cross_fitted_shrink(actual, naive, columns[best])
    if fitted is not None:
        weight, forecasts = fitted
        name = f"shrunk {best}"
        columns[name] = forecasts
        candidates.append({"name": name, "kind": "shrink", "trial": trials[0].number, "weight": weight,
                           "of": best, "val_rel_mae": pooled_rel_mae(actual, naive, forecasts)})
    return candidates, wide_table(folds, columns)
