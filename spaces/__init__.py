"""Search spaces and model builders, one module per family.

A configuration is a plain JSON-able dict: ``family``, the shared parameters, the family's own,
and the study's training settings (``epochs``, ``patience``). Declarations import no TensorFlow:
a command checks its arguments and data before Keras loads (builders import it when called).

Example:
    >>> import optuna, spaces
    >>> config = spaces.preset("seed-dense-w7")
    >>> config["window"], config["units"]
    (7, 128)
    >>> spaces.space("dense", max_window=30).params[0]
    Int(name='window', when=(), low=7, high=30, log=True, step=1)
    >>> model = spaces.build(config, n_features=1, horizon=1)  # doctest: +SKIP
    >>> model.output_shape  # doctest: +SKIP
    (None, 1)
"""

from __future__ import annotations

import importlib
from types import ModuleType

from spaces.shared import SHARED, TRAINING_DEFAULTS
from spaces.space import Space

# The one list of families; each is the module spaces/<name>.py.
FAMILIES: tuple[str, ...] = ("dense", "conv1d", "lstm", "multivariate", "nbeats", "ensemble")


def family(name: str) -> ModuleType:
    if name not in FAMILIES:
        raise ValueError(f"unknown family {name!r}; choose from {', '.join(FAMILIES)}")
    return importlib.import_module(f"spaces.{name}")


def _all_presets() -> dict[str, dict]:
    return {name: cfg for f in FAMILIES for name, cfg in family(f).PRESETS.items()}


def seed_preset(name: str) -> str:
    """The preset a family's study enqueues first, so every search starts from the seed's model."""
    return family(name).SEED_PRESET


def space(name: str, *, max_window: int | None = None) -> Space:
    """The family's declared space; ``max_window`` clips the window range to what the data allows."""
    full = SHARED + family(name).SPACE
    return full.clipped("window", max_window) if max_window is not None else full


def sample_optuna(name: str, trial, *, max_window: int | None = None, **settings) -> dict:
    return {"family": name, **space(name, max_window=max_window).sample_optuna(trial), **TRAINING_DEFAULTS,
            **settings}


def sample_keras_tuner(name: str, hp, **settings) -> dict:
    return {"family": name, **space(name).sample_keras_tuner(hp), **TRAINING_DEFAULTS, **settings}


def preset(name: str) -> dict:
    presets = _all_presets()
    if name not in presets:
        raise ValueError(f"unknown preset {name!r}; choose from {', '.join(presets)}")
    return dict(presets[name])


def preset_names() -> list[str]:
    return list(_all_presets())


def features(config: dict) -> list[str]:
    """Extra input columns the configuration asks for (beside the price)."""
    return family("multivariate").features(config) if config["family"] == "multivariate" else []


def build(config: dict, n_features: int, horizon: int):
    """Build (uncompiled) the Keras model of any family's configuration."""
    return family(config["family"]).build(config, n_features, horizon)


def training_view(model, config: dict):
    """The model to train and its per-sample loss ``(y_true, y_pred) -> (batch,)``.

    An ensemble trains each member on its own loss; every other family trains the model itself."""
    from spaces.shared import loss_fn

    if config["family"] != "ensemble":
        return model, loss_fn(config["loss"])
    return family("ensemble").training_view(model, config)
