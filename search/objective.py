"""The Optuna objective: sample a configuration, build it, train it on train/validation, report.

It is constructed from a :class:`~data.SearchData`, which holds only the rows before the first
test day: no trial can see the test split.
"""

from __future__ import annotations

import math
import time

import keras
import optuna

import spaces
from data import SearchData
from search.trainer import TrainingDiverged, freeze_long_lived_objects, train
from studies import StudySpec


class ModelBuildError(RuntimeError):
    """The sampled configuration could not be built into a model."""


# Exceptions that end one trial as FAIL while the study goes on.
TRIAL_FAILURES = (TrainingDiverged, ModelBuildError)


class Objective:
    """Validation MASE of one sampled configuration of ``spec.family`` (minimise)."""

    def __init__(self, spec: StudySpec, data: SearchData, *, seed: int = 0):
        self.spec, self.data, self.seed = spec, data, seed
        freeze_long_lived_objects()

    def config(self, trial: optuna.Trial) -> dict:
        return spaces.sample_optuna(self.spec.family, trial, epochs=self.spec.epochs, patience=self.spec.patience)

    def __call__(self, trial: optuna.Trial) -> float:
        config = self.config(trial)
        trial.set_user_attr("config", config)
        horizon = self.spec.horizon
        data = self.data.with_features(spaces.features(config))
        train_w = data.train(window=config["window"], horizon=horizon)
        val_w = data.val(window=config["window"], horizon=horizon)
        keras.utils.set_random_seed(self.seed + trial.number)
        start = time.perf_counter()
        try:
            try:
                model = spaces.build(config, data.frame.shape[1], horizon)
            except Exception as err:
                raise ModelBuildError(f"cannot build model: {type(err).__name__}: {err}") from err
            trial.set_user_attr("n_params", model.count_params())

            def report(epoch: int, value: float) -> None:
                trial.report(value, epoch)
                if trial.should_prune():
                    trial.set_user_attr("epochs", epoch)
                    raise optuna.TrialPruned(f"pruned at epoch {epoch} (val MASE {value:.4f})")

            result = train(model, config, train_w, val_w, epochs=self.spec.epochs, patience=self.spec.patience,
                           eval_every=self.spec.eval_every, report=report)
            trial.set_user_attr("epochs", result.epochs)
            trial.set_user_attr("best_epoch", result.best_epoch)
            if result.best_val_mase is None or not math.isfinite(result.best_val_mase):
                raise TrainingDiverged("no finite validation score")
            return result.best_val_mase
        except TRIAL_FAILURES as err:
            trial.set_user_attr("fail_reason", str(err))
            raise
        finally:
            trial.set_user_attr("seconds", round(time.perf_counter() - start, 3))
            # Keras keeps every model's layers and graphs alive unless told; trials would pile up
            # in memory. clear_session also runs a full garbage collection.
            keras.backend.clear_session()
