"""Ensemble family: many small dense members, each with its own loss and lookback, aggregated by
median or mean. Seed model 8 (15 members = 5 x {MAE, MSE, MAPE}, median).

The model's output is the aggregate ``(batch, horizon)``; the layer named ``members`` holds every
member's forecast ``(batch, members, horizon)``. The trainer trains each member on its own loss
(:func:`training_view`), and :func:`member_predictions` gives the spread used for intervals.
"""

from __future__ import annotations

import numpy as np

from spaces import dense
from spaces.shared import SEED_SETTINGS, loss_fn
from spaces.space import Choice, Int, Space

LOSS_MIXES = {"single": None, "mae+mse+mape": ("mae", "mse", "mape")}
LOOKBACK_FRACTIONS = {"full": (1.0,), "mixed": (1.0, 0.5, 0.25)}

SPACE = Space([
    Int("size", 1, 30),
    Int("member_layers", 1, 3),
    Int("member_units", 32, 512, log=True),
    Choice("loss_mix", tuple(LOSS_MIXES)),
    Choice("lookbacks", tuple(LOOKBACK_FRACTIONS)),
    Int("seed", 0, 9999),
    Choice("aggregate", ("median", "mean")),
])


def member_losses(config: dict) -> list[str]:
    mix = LOSS_MIXES[config["loss_mix"]] or (config["loss"],)
    return [mix[k % len(mix)] for k in range(config["size"])]


def member_lookbacks(config: dict) -> list[int]:
    fractions = LOOKBACK_FRACTIONS[config["lookbacks"]]
    # Cycle lookbacks slower than losses so that every loss meets every lookback.
    return [max(2, round(config["window"] * fractions[(k // 3) % len(fractions)])) for k in range(config["size"])]


def build(config: dict, n_features: int, horizon: int):
    import keras
    from keras import layers

    from spaces.layers import Aggregate, Lookback, Members

    inputs = keras.Input((config["window"], n_features))
    outputs = []
    for k, days in enumerate(member_lookbacks(config)):
        member = {"layers": config["member_layers"], "units": config["member_units"], "activation": "relu",
                  "dropout": config.get("dropout", 0.0),
                  "initializer": keras.initializers.HeNormal(seed=config["seed"] * 1000 + k)}
        x = Lookback(days, name=f"member{k}_lookback")(inputs)
        outputs.append(layers.Dense(horizon, name=f"member{k}_out")(dense.body(x, member)))
    members = Members(name="members")(outputs)
    return keras.Model(inputs, Aggregate(config["aggregate"], name="aggregate")(members), name="ensemble")


def members_model(model):
    """The sub-model whose output is every member's forecast, ``(batch, members, horizon)``."""
    import keras

    return keras.Model(model.input, model.get_layer("members").output)


def training_view(model, config: dict):
    """Train the members, each on its own loss: per sample, the sum of the members' losses."""
    fns = [loss_fn(name, config["scaler"]) for name in member_losses(config)]

    def member_loss(y_true, y_pred):
        return sum(fn(y_true, y_pred[:, k]) for k, fn in enumerate(fns))

    return members_model(model), member_loss


def member_predictions(model, X: np.ndarray) -> np.ndarray:
    """Every member's forecast, ``(n, members, horizon)``, in the model's (scaled) space."""
    return np.asarray(members_model(model)(X, training=False))


PRESETS = {
    "seed-ensemble": {**SEED_SETTINGS, "family": "ensemble", "window": 7, "size": 15, "member_layers": 2,
                      "member_units": 128, "loss_mix": "mae+mse+mape", "lookbacks": "full", "seed": 0,
                      "aggregate": "median", "batch_size": 1024, "epochs": 1000, "patience": 200},
}
SEED_PRESET = "seed-ensemble"
