"""Parameters every family shares, and how a configuration becomes a compiled model."""

from __future__ import annotations

import keras

from spaces.space import Choice, Float, Int, Space

SHARED = Space([
    Int("window", 7, 90, log=True),
    Choice("scaler", ("none", "minmax", "logrel")),
    Float("learning_rate", 1e-4, 1e-2, log=True),
    Choice("batch_size", (32, 64, 128, 256, 512, 1024)),
    Choice("loss", ("mae", "mse", "huber", "mape")),
    Float("dropout", 0.0, 0.5),
])

# Not searched: the study sets them (its epoch cap, its early-stopping patience).
TRAINING_DEFAULTS = {"epochs": 100, "patience": 20}

# The seed's training settings, the base of every seed preset.
SEED_SETTINGS = {"scaler": "none", "learning_rate": 1e-3, "batch_size": 128, "loss": "mae",
                 "dropout": 0.0, "epochs": 100, "patience": 100}


def loss_fn(name: str):
    return {
        "mae": keras.losses.MeanAbsoluteError(),
        "mse": keras.losses.MeanSquaredError(),
        "huber": keras.losses.Huber(),
        "mape": keras.losses.MeanAbsolutePercentageError(),
    }[name]


def dropout(x, config: dict):
    rate = config.get("dropout", 0.0)
    return keras.layers.Dropout(rate)(x) if rate else x
