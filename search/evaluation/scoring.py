"""Score every candidate of one protocol's table of forecasts the same way.

A table has one row per (test window, horizon step): ``date``, ``step``, ``actual``, ``naive`` and
one column per candidate. Each candidate gets the metrics, its MAE relative to naive,
Diebold–Mariano against naive (absolute loss, HLN-corrected) and its membership in the Model
Confidence Set over all candidates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from search.evaluation.mcs import confidence_set
from search.evaluation.metrics import diebold_mariano, evaluate, rel_mae
from search.evaluation.verdict import beats_naive, word

FIXED = ("date", "step", "actual")


def windows(table: pd.DataFrame, column: str, horizon: int) -> np.ndarray:
    """A column as ``(n windows, horizon)``: the table lists each window's steps in order."""
    return table[column].to_numpy(dtype="float64").reshape(-1, horizon)


def score_table(table: pd.DataFrame, *, horizon: int, fit_series, seed: int = 0) -> dict:
    """``{"rows": [...], "mcs": {...}}``; rows in the table's column order, naive first."""
    actual, naive = windows(table, "actual", horizon), windows(table, "naive", horizon)
    names = [c for c in table.columns if c not in FIXED]
    forecasts = {name: windows(table, name, horizon) for name in names}
    mcs = confidence_set({name: np.abs(f - actual) for name, f in forecasts.items()}, seed=seed)
    rows = []
    for name, forecast in forecasts.items():
        stat, p = (0.0, 1.0) if name == "naive" else diebold_mariano(actual, forecast, naive, horizon=horizon)
        rel = rel_mae(actual, forecast, naive)
        rows.append({"name": name, **evaluate(actual, forecast, fit_series), "rel_mae": rel, "dm_stat": stat,
                     "dm_p": p, "beats_naive": beats_naive(rel, p), "word": word(rel_mae=rel, dm_p=p),
                     "in_mcs": name in mcs["members"], "mcs_p": mcs["pvalues"][name]})
    return {"rows": rows, "mcs": mcs}


def score_protocol(protocol, test, columns: dict[str, np.ndarray], *, out, work, fit_series, horizon: int,
                   about: dict[str, dict]) -> dict:
    """Write one protocol's table of forecasts (``columns``: name -> (n, horizon)) under ``work``,
    score it, and add each row's ``kind`` and validation score from ``about``."""
    from search.files import write_csv

    table = pd.DataFrame({**test.long_index(), "actual": test.Y.ravel(),
                          **{name: np.asarray(v).ravel() for name, v in columns.items()}})
    csv = f"{work.name}/predictions/{protocol.key}.csv"
    write_csv(out / csv, table)
    scored = score_table(table, horizon=horizon, fit_series=fit_series)
    for row in scored["rows"]:
        row.update({k: about[row["name"]][k] for k in ("kind", "val_rel_mae") if row["name"] in about})
    return {"key": protocol.key, "label": protocol.label, "refit_every": protocol.refit_every,
            "warm": protocol.warm, "table": csv, **scored}
