"""keras-tuner as an alternative engine over the same declared spaces.

keras-tuner's oracles (random, Bayesian, Hyperband) choose values; :class:`SpaceTuner` turns
them into a configuration with the family's own declaration (``spaces.sample_keras_tuner``), so
no range is written twice, and scores it with a caller-given function (normally the project's
trainer on train/validation).

Example:
    >>> import keras_tuner as kt
    >>> oracle = kt.oracles.RandomSearchOracle(objective=kt.Objective("val_mase", "min"), max_trials=5)
    >>> tuner = SpaceTuner("dense", score=lambda config, epochs: 1.0, epochs=10, oracle=oracle,
    ...                    directory="/tmp/kt", project_name="demo", overwrite=True)  # doctest: +SKIP
    >>> tuner.search()  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable

import keras_tuner as kt

import spaces


class SpaceTuner(kt.Tuner):
    """A keras-tuner ``Tuner`` whose trial is: sample the family's space, ``score(config, epochs)``."""

    def __init__(self, family: str, *, score: Callable[[dict, int], float], epochs: int, **kwargs):
        super().__init__(**kwargs)
        self.family, self.score, self.epochs = family, score, epochs
        self.configs: list[dict] = []

    def run_trial(self, trial, *args, **kwargs):
        hp = trial.hyperparameters
        config = spaces.sample_keras_tuner(self.family, hp)
        # Hyperband hands each trial its epoch budget; other oracles use the study's cap.
        epochs = int(hp.values.get("tuner/epochs", self.epochs))
        self.configs.append(config)
        return {"val_mase": float(self.score(config, epochs))}

    def save_model(self, trial_id, model, step=0):  # models are saved by retrain, not per trial
        pass

    def load_model(self, trial):
        raise NotImplementedError("SpaceTuner keeps configurations, not models; retrain them")
