"""The Optuna objective: sample a configuration, train it on every walk-forward fold, score it.

The score is the validation MAE relative to naive, pooled over every validation day of every fold:
``sum |y - model| / sum |y - naive|``. Pooled rather than averaged per fold, because that is what
the test split reports too (one MAE over all its days), and a fold of calm prices should not weigh
as much as a fold of wild ones when the user pays for errors in dollars. Below 1 beats naive.

A trial trains its most recent fold first and reports that fold's score to the pruner after every
chunk, at a step that counts its training cost so far (:mod:`search.engine.cost`): an expensive
model validates every epoch and meets its first rung after few epochs, a cheap one after many. A
trial that survives trains its earlier folds side by side in one group
(:func:`~search.engine.trainer.train_group`).

It is constructed from a :class:`~data.SearchData`, which holds only the rows before the first
test day: no trial can see the test split.
"""

from __future__ import annotations

import functools
import math
import os
import statistics
import time

import keras
import numpy as np
import optuna
import pandas as pd

import spaces
from data import SearchData
from data.split import MIN_TRAIN_WINDOWS
from search.engine import backend
from search.engine.artifacts import fold_table, save_validation
from search.engine.cost import OVERHEAD, macs_per_window
from search.engine.group import ModelBuildError, seeded
from search.engine.study import INTERRUPTED, SKIPPED
from search.engine.trainer import (
    Member,
    OutOfMemory,
    TrainingDiverged,
    raise_if_diverged,
    train_group,
)
from search.evaluation.metrics import pooled_rel_mae
from studies import StudySpec


class UnfitTrial(RuntimeError):
    """The sampled configuration does not fit the data (its window leaves too little to train on)."""


class OverCpuLimit(optuna.TrialPruned):
    """Without a GPU, the configuration is over the study's ``cpu_max_macs``: pruned before it trains."""


# Exceptions that end one trial as FAIL while the study goes on.
TRIAL_FAILURES = (TrainingDiverged, ModelBuildError, UnfitTrial, OutOfMemory)


def fold_score(folds, forecasts) -> float:
    """Model MAE over naive MAE, both summed over every validation day of every fold."""
    return pooled_rel_mae([f.val.Y for f in folds], [f.val.naive for f in folds], forecasts)


@functools.lru_cache(maxsize=16)
def _seed_macs(family: str, horizon: int) -> int:
    config = spaces.preset(spaces.seed_preset(family))
    with seeded(0):
        model = spaces.build(config, 1 + len(spaces.features(config)), horizon)
    return macs_per_window(model)


class Objective:
    """Pooled walk-forward validation MAE relative to naive of one configuration of ``spec.family``."""

    def __init__(self, spec: StudySpec, data: SearchData, *, seed: int = 0, max_window: int | None = None,
                 artifacts=None):
        """``artifacts`` (an Optuna artifact store) keeps each completed trial's validation forecasts;
        trial ``n`` trains with seed ``seed + n``."""
        self.spec, self.data, self.seed, self.max_window = spec, data, seed, max_window
        self.artifacts = artifacts

    def config(self, trial: optuna.Trial) -> dict:
        return spaces.sample_optuna(self.spec.family, trial, max_window=self.max_window,
                                    epochs=self.spec.epochs, patience=self.spec.patience)

    def folds(self, config: dict):
        data = self.data.with_features(spaces.features(config))
        folds = data.folds(window=config["window"], horizon=self.spec.horizon)
        if len(folds[0].train) < MIN_TRAIN_WINDOWS:
            raise UnfitTrial(f"window {config['window']} leaves {len(folds[0].train)} training windows in the "
                             f"first fold, fewer than {MIN_TRAIN_WINDOWS}")
        return folds

    def relative_cost(self, macs: int, *, max_macs: float = math.inf) -> float:
        """An epoch of a model of ``macs`` multiply-adds per window, in epochs of the family's seed
        preset (the same windows), or of a model at ``max_macs`` when the preset is over it: the
        costliest model the study trains is the unit, else a study whose preset is skipped would meet
        its first rung only near the epoch cap."""
        unit = min(_seed_macs(self.spec.family, self.spec.horizon), max_macs)
        return (macs + OVERHEAD) / (unit + OVERHEAD)

    def cpu_limit(self) -> float:
        """The most multiply-adds per window a trial may cost here: the study's CPU limit without a GPU."""
        return math.inf if backend.gpus() else self.spec.cpu_max_macs

    def evaluate(self, config: dict, *, seed: int, epochs: int | None = None, eval_every: int | None = None,
                 report=None, max_macs: float = math.inf) -> tuple[float, dict, pd.DataFrame]:
        """Train ``config`` on every fold; return the pooled score, the facts a trial records (enough
        to train it again alike), and the table of validation forecasts behind the score.

        The most recent fold trains first, alone, and ``report(epoch, its score, relative cost)`` lets the pruner
        stop a weak trial there; only a trial that survives pays for the earlier folds, which then
        train side by side as one group. Without ``eval_every``, a chunk lasts the study's
        ``eval_every`` epochs, or fewer for a model that costs more than the seed preset. A model over
        ``max_macs`` multiply-adds per window raises :class:`OverCpuLimit` before it trains."""
        folds = self.folds(config)
        last = folds[-1]
        measured = {"cost": 1.0, "every": eval_every or self.spec.eval_every}

        def chunk(model) -> int:
            macs = macs_per_window(model)
            if macs > max_macs:
                raise OverCpuLimit(f"{macs / 1e6:.3g}M multiply-adds per window, over the study's CPU limit of "
                                   f"{max_macs / 1e6:.3g}M (cpu_max_macs); --cpu-max-macs inf lifts it")
            measured["cost"] = self.relative_cost(macs, max_macs=max_macs)
            by_cost = self.spec.rungs == "cost"
            measured["every"] = eval_every or (max(1, min(self.spec.eval_every,
                                                          int(self.spec.eval_every / measured["cost"])))
                                               if by_cost else self.spec.eval_every)
            return measured["every"]

        def watch(epoch, results):
            if report is not None and not results[0].diverged:
                errors = np.abs(last.val.Y - results[0].val_forecast).mean(axis=1)
                report(epoch, fold_score([last], [results[0].val_forecast]), measured["cost"], errors)

        options = {"epochs": epochs or self.spec.epochs, "patience": self.spec.patience}
        results = train_group(config, [Member(last.train, last.val, seed=seed)], report=watch, eval_every=chunk,
                              **options)
        if len(folds) > 1:
            results = train_group(config, [Member(f.train, f.val, seed=seed) for f in folds[:-1]],
                                  eval_every=measured["every"], **options) + results
        raise_if_diverged(results)
        value = fold_score(folds, [r.val_forecast for r in results])
        if not math.isfinite(value):
            raise TrainingDiverged("no finite validation score")
        attrs = {
            "n_params": results[0].n_params,
            "epochs": max(r.epochs for r in results),
            "fold_best_epochs": [r.best_epoch for r in results],
            # Retraining on all days before test runs this many epochs: the folds' typical best.
            "best_epoch": int(statistics.median_low(r.best_epoch for r in results)),
            "fold_scores": [fold_score([f], [r.val_forecast]) for f, r in zip(folds, results, strict=True)],
            "seed": seed, "relative_cost": round(measured["cost"], 4),
            "training": {"epochs": options["epochs"], "patience": options["patience"], "eval_every": measured["every"]},
        }
        return value, attrs, fold_table(folds, [r.val_forecast for r in results])

    def __call__(self, trial: optuna.Trial) -> float:
        start, seen = time.perf_counter(), {}

        def report(epoch: int, value: float, cost: float, errors) -> None:
            if "relative_cost" not in seen:  # before the first report: the pruners count cost with it
                seen["relative_cost"] = round(cost, 4)
                trial.set_user_attr("relative_cost", seen["relative_cost"])
            if getattr(trial.study.pruner, "wants_day_errors", False):
                trial.set_user_attr("day_errors", np.round(errors, 4).tolist())
            trial.report(value, epoch)
            if trial.should_prune():
                trial.set_user_attr("epochs", epoch)
                raise optuna.TrialPruned(f"pruned at epoch {epoch}, cost {epoch * cost:.3g} seed-preset epochs")

        try:
            config = self.config(trial)
            trial.set_user_attr("config", config)
            trial.set_user_attr("worker_pid", os.getpid())
            trial.set_user_attr("backend", backend.name())
            value, attrs, table = self.evaluate(config, seed=self.seed + trial.number, report=report,
                                                max_macs=self.cpu_limit())
            for key, item in attrs.items():
                trial.set_user_attr(key, item)
            if self.artifacts is not None:
                save_validation(trial, self.artifacts, table)
            return value
        except TRIAL_FAILURES as err:
            trial.set_user_attr("fail_reason", str(err))
            raise
        except OverCpuLimit as err:
            trial.set_user_attr(SKIPPED, str(err))
            raise
        except KeyboardInterrupt:
            trial.set_user_attr("fail_reason", INTERRUPTED)
            raise
        finally:
            trial.set_user_attr("seconds", round(time.perf_counter() - start, 3))
            # Keras keeps every model's layers and graphs alive unless told; trials would pile up
            # in memory. clear_session also runs a garbage collection.
            keras.backend.clear_session()
