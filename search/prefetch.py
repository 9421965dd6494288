"""The classical baselines' forecasts, computed in the background while the search runs."""

from __future__ import annotations

import multiprocessing
import os

from data import DataSpec
from search.evaluation.options import RetrainOptions
from search.workspace import Workspace

PREFETCH_FROM = 1000  # days: below, every classical fit takes well under a second (AutoTheta 1.8 s at 2,300)


def _prefetch(data: DataSpec, horizon: int, refits: list[int], ws: Workspace) -> None:
    """The classical baselines' forecasts, into the workspace's cache (a background process)."""
    from search.evaluation.baselines import test_baselines, validation_baselines

    os.dup2(os.open(os.devnull, os.O_WRONLY), 2)  # its notes are the retrain's to give (it reads the cache)
    final = data.final_data(horizon)
    validation_baselines(final, horizon, ws)
    for refit_every in refits:
        test_baselines(final, horizon, refit_every, ws)


def prefetch_baselines(data: DataSpec, final, horizon: int, retrain: RetrainOptions | None, ws: Workspace):
    """Start computing what the retrain will need of the classical models while the search runs:
    they depend on the data alone, and the retrain trains its networks before it asks for them. It
    waits for (or reads) the cache, so nothing is computed twice. Nothing starts when the cache
    holds them already, or the series is short."""
    from search.evaluation.baselines import is_cached

    if retrain is None or len(final.frame) < PREFETCH_FROM:
        return None
    refits = [p.refit_every for p in retrain.protocols.protocols()]
    if all(is_cached(ws, final, horizon, r) for r in [None, *refits]):
        return None
    # Not a daemon: it fits in a pool of its own. The caller stops it if it ends first.
    proc = multiprocessing.get_context("spawn").Process(target=_prefetch, args=(data, horizon, refits, ws))
    proc.start()
    return proc
