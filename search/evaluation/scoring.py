"""Score every candidate of one protocol's table of forecasts the same way, and build those tables.

A table has one row per (test window, horizon step): ``date``, ``step``, ``actual``, ``naive`` and
one column per candidate. Each candidate gets the metrics, its MAE relative to naive,
Diebold–Mariano against naive (absolute loss, HLN-corrected) and its membership in the Model
Confidence Set over all candidates. A table compares many candidates with naive at once, so the
claim "beats naive" is made on Holm-adjusted p-values (``dm_p_holm``): the chance that *any* row
of a table of forecasters that are no better than naive claims a gain stays below 5%.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from search.engine.trainer import TrainingDiverged
from search.evaluation.baselines import test_baselines
from search.evaluation.mcs import confidence_set
from search.evaluation.metrics import diebold_mariano, evaluate, rel_mae, windows
from search.evaluation.refit import ConfigForecast, Protocol, forecast_config
from search.evaluation.verdict import beats_naive, word
from search.files import write_csv

FIXED = ("date", "step", "actual")
log = logging.getLogger(__name__)



def holm(pvalues: dict[str, float]) -> dict[str, float]:
    """Holm's step-down adjustment: family-wise error control over every p-value given."""
    order = sorted(pvalues, key=pvalues.get)
    out, running = {}, 0.0
    for rank, name in enumerate(order):
        running = max(running, min(1.0, (len(order) - rank) * pvalues[name]))
        out[name] = running
    return out


def score_table(table: pd.DataFrame, *, horizon: int, fit_series, seed: int = 0) -> dict:
    """``{"rows": [...], "mcs": {...}}``; rows in the table's column order, naive first."""
    actual, naive = windows(table, "actual", horizon), windows(table, "naive", horizon)
    names = [c for c in table.columns if c not in FIXED]
    forecasts = {name: windows(table, name, horizon) for name in names}
    mcs = confidence_set({name: np.abs(f - actual) for name, f in forecasts.items()}, seed=seed)
    dm = {name: (0.0, 1.0) if name == "naive" else diebold_mariano(actual, f, naive, horizon=horizon)
          for name, f in forecasts.items()}
    adjusted = {"naive": 1.0, **holm({n: p for n, (_, p) in dm.items() if n != "naive"})}
    rows = []
    for name, forecast in forecasts.items():
        rel = rel_mae(actual, forecast, naive)
        (stat, p), p_holm = dm[name], adjusted[name]
        rows.append({"name": name, **evaluate(actual, forecast, fit_series), "rel_mae": rel, "dm_stat": stat,
                     "dm_p": p, "dm_p_holm": p_holm, "beats_naive": beats_naive(rel, p_holm),
                     "word": word(rel_mae=rel, dm_p=p_holm), "in_mcs": name in mcs["members"],
                     "mcs_p": mcs["pvalues"][name]})
    return {"rows": rows, "mcs": mcs}


@dataclass(frozen=True)
class Trained:
    """A configuration every protocol trains and scores: its column name, epochs and file label."""

    name: str
    config: dict
    epochs: int
    label: str


def forecast_protocols(final, protocols: list[Protocol], configs: list[Trained], *, seeds: list[int], horizon: int,
                       ws=None, models_dir=None) -> tuple[list[tuple[Protocol, dict, dict]], dict[str, float]]:
    """Per protocol, every candidate's forecasts of the test days: naive and the classical models
    (cached by data), and each configuration trained under the protocol (mean of its seeds), as
    ``(protocol, columns, fits)``; and the wall seconds spent on the networks and on the classical
    forecasts (read from the cache, or waited for). The configurations train first: the classical models' refits may
    still be filling the cache meanwhile (``search.pipeline`` starts them with the search). A
    configuration whose every seed diverges is left out of that protocol's table, with a note."""
    trained, started = [], time.perf_counter()
    for protocol in protocols:
        fits: dict[str, ConfigForecast] = {}
        for c in configs:
            try:
                fits[c.name] = forecast_config(c.config, final, protocol, horizon=horizon, epochs=c.epochs,
                                               seeds=seeds, models_dir=models_dir if protocol.refit_every == 0
                                               else None, label=c.label)
            except TrainingDiverged as err:
                log.info("%s left out of the %s table: %s", c.name, protocol.label, err)
                continue
            for seed, why in fits[c.name].diverged.items():
                log.info("%s seed %d left out of its mean (%s): %s", c.name, seed, protocol.label, why)
        trained.append((protocol, fits))
    timing = {"networks": time.perf_counter() - started}
    out, started = [], time.perf_counter()
    for protocol, fits in trained:
        base = test_baselines(final, horizon, protocol.refit_every, ws)
        columns = {c: windows(base, c, horizon) for c in base.columns if c not in FIXED}
        out.append((protocol, {**columns, **{name: fc.mean for name, fc in fits.items()}}, fits))
    timing["classical"] = time.perf_counter() - started
    return out, timing


def score_protocol(protocol: Protocol, test, columns: dict[str, np.ndarray], *, folder, work, fit_series,
                   horizon: int, about: dict[str, dict]) -> dict:
    """Write one protocol's table of forecasts (``columns``: name -> (n, horizon)) under ``work``,
    score it, and add each row's ``kind`` and validation score from ``about``."""
    table = pd.DataFrame({**test.long_index(), "actual": test.Y.ravel(),
                          **{name: np.asarray(v).ravel() for name, v in columns.items()}})
    csv = f"{work.name}/predictions/{protocol.key}.csv"
    write_csv(folder / csv, table)
    scored = score_table(table, horizon=horizon, fit_series=fit_series)
    for row in scored["rows"]:
        row.update({k: about[row["name"]][k] for k in ("kind", "val_rel_mae") if row["name"] in about})
    return {"key": protocol.key, "label": protocol.label, "refit_every": protocol.refit_every,
            "warm": protocol.warm, "table": csv, **scored}


def test_period(final, test, horizon: int) -> dict:
    """The split and the test days as every summary states them (by target day)."""
    last_target = test.days[-1] + pd.Timedelta(days=horizon - 1)
    return {"split": final.plan.to_dict(), "n_test": len(test), "test_first_day": str(test.days[0].date()),
            "test_last_day": str(last_target.date()), "folds": final.plan.folds}
