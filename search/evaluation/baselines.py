"""The forecasters a user would pick instead of a neural network, scored on the same days.

Naive (tomorrow = today) and statsforecast's AutoETS, AutoTheta and AutoARIMA. Each is fitted at
an origin on every price before it, then forecasts each target day from the prices before that day
with its parameters fixed, exactly as a neural network fitted at the same origin forecasts from
its windows. One block per origin: the walk-forward folds on validation, the whole test split
(one static fit) or its rolling-origin segments.

Their forecasts depend on the data (its sha256), the split, the horizon and the protocol only, so
they are computed once per such key and kept in the workspace's cache (``runs/cache/baselines/``),
where every study and ensemble of that data reads them. A file records its key and is used only
when the key matches; two processes that need the same one compute it once.

Example:
    >>> import numpy as np
    >>> prices = 100 + np.cumsum(np.random.default_rng(0).normal(size=300))
    >>> blocks = [(250, np.arange(250, 300))]
    >>> classical_forecast("AutoETS", prices, blocks, horizon=1).shape
    (50, 1)
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd

from data import FinalData
from data.split import REFERENCE_WINDOW
from search.files import locked, write_csv, write_json
from search.workspace import Workspace

CLASSICAL = ("AutoETS", "AutoTheta", "AutoARIMA")
log = logging.getLogger(__name__)


def fit_classical(name: str, prices: np.ndarray):
    """The named statsforecast model fitted on ``prices`` (daily: no weekly season in a 24/7 market)."""
    from statsforecast import models

    return getattr(models, name)(season_length=1).fit(prices)


def _block(name: str, prices: np.ndarray, origin: int, targets: np.ndarray, horizon: int) -> np.ndarray:
    """One origin's forecasts: fitted on ``prices[:origin]``, each target ``t`` from ``prices[:t]``."""
    model = fit_classical(name, prices[:origin])
    if horizon == 1:  # one pass: one-step forecasts of every day with the fitted parameters
        return np.asarray(model.forward(prices[: targets[-1] + 1], h=1, fitted=True)["fitted"])[targets][:, None]
    return np.stack([model.forward(prices[:t], h=horizon)["mean"] for t in targets])


def classical_forecast(name: str, prices: np.ndarray, blocks: list[tuple[int, np.ndarray]], *,
                       horizon: int) -> np.ndarray:
    """Forecasts ``(n, horizon)`` of the target days in ``blocks``, in order.

    ``blocks`` holds ``(origin, first_targets)``: positions in ``prices``; the model is fitted on
    ``prices[:origin]`` and each window's first target ``t >= origin`` is forecast from
    ``prices[:t]``."""
    out = [_block(name, prices, origin, targets, horizon) for origin, targets in blocks if len(targets)]
    return np.concatenate(out).astype("float64") if out else np.empty((0, horizon))


def _run(task):
    """A pool worker's task: one model at one origin, or the exception it raised."""
    name, prices, origin, targets, horizon = task
    try:
        return _block(name, prices, origin, targets, horizon)
    except Exception as err:  # noqa: BLE001  (reported by the caller, which leaves the model out)
        return err


def classical_columns(frame: pd.DataFrame, origins, days_per_block, *, horizon: int, where: str) -> dict:
    """Each classical model's forecasts of the blocks (origin day, first target days), by name; a
    model that fails to fit is left out with a note. Many origins (a rolling test) fit in a pool
    of processes, one per core: AutoTheta alone costs ~2 s a fit on BTC's length."""
    prices = frame["target"].to_numpy(dtype="float64")
    blocks = [(frame.index.get_loc(origin), positions(frame, days)) for origin, days in
              zip(origins, days_per_block, strict=True) if len(days)]
    tasks = [(name, prices[: targets[-1] + horizon], origin, targets, horizon) for name in CLASSICAL
             for origin, targets in blocks]
    workers = min(os.cpu_count() or 1, 4)
    if len(blocks) > 3 and workers > 1:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            done = list(pool.map(_run, tasks))
    else:
        done = [_run(task) for task in tasks]
    out = {}
    for k, name in enumerate(CLASSICAL):
        parts = done[k * len(blocks) : (k + 1) * len(blocks)]
        failed = next((p for p in parts if isinstance(p, Exception)), None)
        if failed is not None:
            log.info("%s failed on %s and is left out: %s", name, where, str(failed).splitlines()[0][:200])
            continue
        out[name] = np.concatenate(parts).astype("float64") if parts else np.empty((0, horizon))
    return out


def positions(frame, days) -> np.ndarray:
    """Row positions of ``days`` (first target days of windows) in ``frame``."""
    return frame.index.get_indexer(days)


def _validation(final: FinalData, horizon: int) -> pd.DataFrame:
    folds = final.search().folds(window=REFERENCE_WINDOW, horizon=horizon)
    columns = classical_columns(final.search().frame, final.plan.val_starts, [f.val.days for f in folds],
                                horizon=horizon, where="validation")
    sizes = np.cumsum([len(f.val) for f in folds])[:-1]
    parts = []
    for k, fold in enumerate(folds):
        parts.append(pd.DataFrame({"fold": k, **fold.val.long_index(), "actual": fold.val.Y.ravel(),
                                   "naive": fold.val.naive.ravel(),
                                   **{n: np.split(v, sizes)[k].ravel() for n, v in columns.items()}}))
    return pd.concat(parts, ignore_index=True)


def _test(final: FinalData, horizon: int, refit_every: int) -> pd.DataFrame:
    test = final.test(window=REFERENCE_WINDOW, horizon=horizon)
    segments = final.segments(window=REFERENCE_WINDOW, horizon=horizon, refit_every=refit_every)
    columns = classical_columns(final.frame, [s.origin for s in segments], [s.test.days for s in segments],
                                horizon=horizon, where="the test split")
    return pd.DataFrame({**test.long_index(), "actual": test.Y.ravel(), "naive": test.naive.ravel(),
                         **{n: v.ravel() for n, v in columns.items()}})


def _key(final: FinalData, horizon: int, protocol: str) -> dict:
    return {"sha256": final.frame.attrs["sha256"], "split": final.plan.to_dict(), "horizon": horizon,
            "protocol": protocol}


def _path(ws: Workspace, key: dict):
    return ws.cache / "baselines" / f"{hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:20]}.csv"


def is_cached(ws: Workspace, final: FinalData, horizon: int, refit_every: int | None) -> bool:
    """Whether the cache holds the validation (``refit_every`` None) or a test protocol's forecasts."""
    protocol = "validation" if refit_every is None else f"refit{refit_every}" if refit_every else "static"
    key = _key(final, horizon, protocol)
    meta = _path(ws, key).with_suffix(".json")
    return meta.is_file() and json.loads(meta.read_text()) == key


def _cached(ws: Workspace | None, final: FinalData, horizon: int, protocol: str, compute) -> pd.DataFrame:
    if ws is None:
        return compute()
    key = _key(final, horizon, protocol)
    path = _path(ws, key)
    with locked(path.with_suffix(".lock")):  # a second process waits, then reads the first one's file
        meta = path.with_suffix(".json")
        if path.is_file() and meta.is_file() and json.loads(meta.read_text()) == key:
            return pd.read_csv(path, parse_dates=["date"])
        table = compute()
        write_csv(path, table, digits=8)
        write_json(meta, key)
    return pd.read_csv(path, parse_dates=["date"])  # as every later reader sees it (rounded alike)


def validation_baselines(final: FinalData, horizon: int, ws: Workspace | None = None) -> pd.DataFrame:
    """Naive's and the classical models' forecasts of every validation day, fitted at each fold's origin."""
    return _cached(ws, final, horizon, "validation", lambda: _validation(final, horizon))


def test_baselines(final: FinalData, horizon: int, refit_every: int, ws: Workspace | None = None) -> pd.DataFrame:
    """The same on the test split, fitted once before it (``refit_every = 0``) or at every origin."""
    return _cached(ws, final, horizon, f"refit{refit_every}" if refit_every else "static",
                   lambda: _test(final, horizon, refit_every))


def naive_report(frame, *, window: int, horizon: int, test_size: float, val_size: float, folds: int = 1) -> dict:
    """The naive forecast's scores on the test split every model is scored on, and the split."""
    from data import make_plan
    from data.validate import check_length
    from search.evaluation.metrics import evaluate

    check_length(frame, needed=window + horizon, why=f"window {window} + horizon {horizon}")
    plan = make_plan(frame, window=window, horizon=horizon, test_size=test_size, val_size=val_size, folds=folds)
    final = FinalData(frame, plan)
    test = final.test(window=window, horizon=horizon)
    return {
        **evaluate(test.Y, test.naive, final.fit_series()),
        "n_test": len(test), "rows": len(frame),
        "first_day": str(frame.index[0].date()), "last_day": str(frame.index[-1].date()),
        "filled_days": frame.attrs.get("filled_days", 0),
        "sizes": plan.sizes(frame, window=window, horizon=horizon), "split": plan.to_dict(),
        "window": window, "horizon": horizon, "source": frame.attrs.get("source"),
    }
