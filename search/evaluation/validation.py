"""Every candidate's forecasts of the walk-forward validation days, and their scores.

The configurations' forecasts are the ones their trials were scored on (kept in the artifact
store; recomputed with the trial's seed when missing, e.g. for keras-tuner trials). Naive and the
classical baselines are fitted at each fold's origin, as the fold's models were. The best
configuration shrunk toward naive is cross-fitted (:mod:`search.evaluation.recommend`).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from data import FinalData
from search.engine.artifacts import validation_table
from search.evaluation.baselines import CLASSICAL, classical_forecast, positions
from search.evaluation.metrics import pooled_rel_mae
from search.evaluation.recommend import cross_fitted_shrink


def _fold_arrays(table: pd.DataFrame, horizon: int) -> list[np.ndarray]:
    return [g["forecast"].to_numpy(dtype="float64").reshape(-1, horizon) for _, g in table.groupby("fold", sort=True)]


def _recompute(study, trial, final: FinalData) -> pd.DataFrame:
    from search.engine.objective import Objective
    from studies import load_study_spec

    config, attrs = trial.user_attrs["config"], study.user_attrs
    spec = load_study_spec(attrs["family"], epochs=config["epochs"], patience=config["patience"],
                           horizon=attrs["horizon"], folds=final.plan.folds)
    _, _, table = Objective(spec, final.search()).evaluate(config, seed=trial.user_attrs.get("seed", 0))
    return table


def validation_candidates(study, trials, final: FinalData, store, *, names: dict[int, str]) -> tuple[list[dict], pd.DataFrame]:
    """Candidates with their pooled validation score, and the table of their validation forecasts."""
    horizon = study.user_attrs["horizon"]
    folds = final.search().folds(window=7, horizon=horizon)
    actual = [f.val.Y for f in folds]
    naive = [f.val.naive for f in folds]
    frame = final.search().frame
    columns: dict[str, list[np.ndarray]] = {"naive": naive}
    candidates = [{"name": "naive", "kind": "naive", "val_rel_mae": 1.0}]
    prices = frame["target"].to_numpy(dtype="float64")
    blocks = [(frame.index.get_loc(origin), positions(frame, f.val.days))
              for origin, f in zip(final.plan.val_starts, folds, strict=True)]
    for name in CLASSICAL:
        try:
            forecast = classical_forecast(name, prices, blocks, horizon=horizon)
        except Exception as err:  # a classical fit that fails is reported, not fatal
            warnings.warn(f"{name} failed on validation: {err}", stacklevel=2)
            continue
        sizes = np.cumsum([len(f.val) for f in folds])[:-1]
        columns[name] = np.split(forecast, sizes)
        candidates.append({"name": name, "kind": "classical", "val_rel_mae": pooled_rel_mae(actual, naive, columns[name])})
    for trial in trials:
        table = validation_table(trial, store) if store is not None else None
        table = table if table is not None else _recompute(study, trial, final)
        columns[names[trial.number]] = _fold_arrays(table, horizon)
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
    return candidates, _table(folds, actual, columns)


def _table(folds, actual, columns) -> pd.DataFrame:
    parts = []
    for k, fold in enumerate(folds):
        parts.append(pd.DataFrame({"fold": k, **fold.val.long_index(), "actual": actual[k].ravel(),
                                   **{name: blocks[k].ravel() for name, blocks in columns.items()}}))
    return pd.concat(parts, ignore_index=True)
