"""Search spaces and model builders, one module per family.

A family is one module ``spaces/<name>.py`` (and its study, ``studies/<name>.toml``); nothing else
names it. The module declares:

- ``SPACE``: its hyperparameters (:class:`~spaces.space.Space`), beside the shared ones;
- ``build(config, n_features, horizon) -> keras.Model`` (uncompiled);
- ``PRESETS`` (name -> configuration) and ``SEED_PRESET``, the one every study enqueues first;
- optionally ``CPU_PRESET``, the seed's settings at a size the study's CPU limit lets train,
  enqueued second;
- optionally ``GROUP_SIZE`` (models of one configuration trained side by side on a CPU; default
  8) or ``group_size(config)``, ``features(config)`` (input columns beside the price),
  ``training_view(model, config)`` (what trains, on which per-sample loss) and
  ``member_predictions(model, X)`` (members' forecasts, for the seed's band).

A configuration is a plain JSON-able dict: ``family``, the shared parameters, the family's own,
and the study's training settings (``epochs``, ``patience``). Declarations import no TensorFlow:
a command checks its arguments and data before Keras loads (builders import it when called).

Example:
    >>> import optuna, spaces
    >>> config = spaces.preset("seed-dense-w7")
    >>> config["window"], config["units"]
    (7, 128)
    >>> spaces.space("dense", max_window=30).param("window")
    Int(name='window', when=(), low=7, high=30, log=True, step=1)
    >>> spaces.problems({**config, "units": "many"})
    ["units = 'many': allowed a whole number in 16 .. 512"]
    >>> spaces.build(config, n_features=1, horizon=1).output_shape
    (None, 1)
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from types import ModuleType

from spaces.shared import SHARED, loss_fn
from spaces.space import Space

NOT_FAMILIES = {"shared", "space", "layers"}
# Keys of a configuration besides its space's parameters: what it is and how long it trains.
SETTINGS = ("family", "epochs", "patience", "horizon")
CPU_GROUP_SIZE, GPU_GROUP_SIZE = 8, 128


def families() -> tuple[str, ...]:
    """Every family module on the package path, by name."""
    return _discover(tuple(__path__))


@functools.lru_cache(maxsize=4)
def _discover(path: tuple[str, ...]) -> tuple[str, ...]:
    names = {m.name for m in pkgutil.iter_modules(path) if m.name not in NOT_FAMILIES}
    return tuple(sorted(n for n in names if hasattr(importlib.import_module(f"spaces.{n}"), "SPACE")))


def family(name: str) -> ModuleType:
    if name not in families():
        raise ValueError(f"unknown family {name!r}; choose from {', '.join(families())}")
    return importlib.import_module(f"spaces.{name}")


def _all_presets() -> dict[str, dict]:
    return {name: cfg for f in families() for name, cfg in family(f).PRESETS.items()}


def seed_preset(name: str) -> str:
    """The preset a family's study enqueues first, so every search starts from the seed's model."""
    return family(name).SEED_PRESET


def start_presets(name: str) -> list[str]:
    """The presets a family's study enqueues, in order: the seed's, then its CPU-sized twin if declared."""
    module = family(name)
    return [module.SEED_PRESET, *([module.CPU_PRESET] if hasattr(module, "CPU_PRESET") else [])]


def space(name: str, *, max_window: int | None = None) -> Space:
    """The family's declared space; ``max_window`` clips the window range to what the data allows."""
    full = SHARED + family(name).SPACE
    return full.clipped("window", max_window) if max_window is not None else full


def sample_optuna(name: str, trial, *, max_window: int | None = None, **settings) -> dict:
    return {"family": name, **space(name, max_window=max_window).sample_optuna(trial), **settings}


def sample_keras_tuner(name: str, hp, **settings) -> dict:
    return {"family": name, **space(name).sample_keras_tuner(hp), **settings}


def preset(name: str) -> dict:
    presets = _all_presets()
    if name not in presets:
        raise ValueError(f"unknown preset {name!r}; choose from {', '.join(presets)}")
    return dict(presets[name])


def preset_names() -> list[str]:
    return list(_all_presets())


def problems(config: dict) -> list[str]:
    """Why ``config`` is not a point of its family's declared space (empty when it is one)."""
    name = config.get("family")
    if name not in families():
        return [f"family = {name!r}: allowed one of {', '.join(map(repr, families()))}"]
    out = space(name).problems(config, extra=SETTINGS)
    for key in ("epochs", "patience"):
        value = config.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            out.append(f"{key} = {value!r}: allowed a whole number of at least 1")
    return out


def _hook(config: dict, name: str):
    return getattr(family(config["family"]), name, None)


def features(config: dict) -> list[str]:
    """Extra input columns the configuration asks for (beside the price)."""
    hook = _hook(config, "features")
    return hook(config) if hook else []


def build(config: dict, n_features: int, horizon: int):
    """Build (uncompiled) the Keras model of any family's configuration."""
    return family(config["family"]).build(config, n_features, horizon)


def training_view(model, config: dict):
    """The model to train and its per-sample loss ``(y_true, y_pred) -> (batch,)``: the model itself
    on the configuration's loss, unless the family says otherwise (an ensemble trains its members)."""
    hook = _hook(config, "training_view")
    return hook(model, config) if hook else (model, loss_fn(config["loss"], config["scaler"]))


def member_predictions(model, config: dict, X):
    """Members' forecasts ``(n, members, horizon)`` of a family with members, else None."""
    hook = _hook(config, "member_predictions")
    return hook(model, X) if hook else None


def group_size(config: dict, *, gpu: bool) -> int:
    """Models of one configuration to train side by side (see :mod:`search.engine.trainer`)."""
    if gpu:
        return GPU_GROUP_SIZE
    hook = _hook(config, "group_size")
    return hook(config) if hook else getattr(family(config["family"]), "GROUP_SIZE", CPU_GROUP_SIZE)
