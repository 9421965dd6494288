"""Search spaces and model builders, one module per family.

A configuration is a plain JSON-able dict: ``family``, the shared parameters, the family's own,
and the study's training settings (``epochs``, ``patience``).

Example:
    >>> import optuna, spaces
    >>> config = spaces.preset("seed-dense-w7")
    >>> model = spaces.build(config, n_features=1, horizon=1)  # doctest: +SKIP
    >>> model.output_shape  # doctest: +SKIP
    (None, 1)
"""

from __future__ import annotations

from types import ModuleType

import keras

from spaces import conv1d, dense, ensemble, lstm, multivariate, nbeats
from spaces.shared import SHARED, TRAINING_DEFAULTS, loss_fn
from spaces.space import Space

FAMILIES: dict[str, ModuleType] = {
    "dense": dense, "conv1d": conv1d, "lstm": lstm,
    "multivariate": multivariate, "nbeats": nbeats, "ensemble": ensemble,
}
PRESETS: dict[str, dict] = {name: cfg for m in FAMILIES.values() for name, cfg in m.PRESETS.items()}
# The preset each family's study enqueues first, so every search starts from the seed's model.
SEED_PRESET = {"dense": "seed-dense-w7", "conv1d": "seed-conv1d", "lstm": "seed-lstm",
               "multivariate": "seed-multivariate", "nbeats": "seed-nbeats", "ensemble": "seed-ensemble"}


def family(name: str) -> ModuleType:
    if name not in FAMILIES:
        raise ValueError(f"unknown family {name!r}; choose from {', '.join(FAMILIES)}")
    return FAMILIES[name]


def space(name: str) -> Space:
    return SHARED + family(name).SPACE


def sample_optuna(name: str, trial, **settings) -> dict:
    return {"family": name, **space(name).sample_optuna(trial), **TRAINING_DEFAULTS, **settings}


def sample_keras_tuner(name: str, hp, **settings) -> dict:
    return {"family": name, **space(name).sample_keras_tuner(hp), **TRAINING_DEFAULTS, **settings}


def preset(name: str) -> dict:
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose from {', '.join(PRESETS)}")
    return dict(PRESETS[name])


def features(config: dict) -> list[str]:
    """Extra input columns the configuration asks for (beside the price)."""
    return multivariate.features(config) if config["family"] == "multivariate" else []


def build(config: dict, n_features: int, horizon: int) -> keras.Model:
    """Build (uncompiled) the model of any family's configuration."""
    return family(config["family"]).build(config, n_features, horizon)


def training_view(model: keras.Model, config: dict) -> tuple[keras.Model, object]:
    """The model and loss to train: an ensemble trains each member on its own loss."""
    if config["family"] != "ensemble":
        return model, loss_fn(config["loss"])
    members = keras.Model(model.input, model.get_layer("members").output)
    fns = [loss_fn(name) for name in ensemble.member_losses(config)]

    def member_loss(y_true, y_pred):
        return sum(fn(y_true, y_pred[:, k]) for k, fn in enumerate(fns))

    return members, member_loss
