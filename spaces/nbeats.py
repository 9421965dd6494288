"""Generic N-BEATS (Oreshkin et al., 2020): stacks of fully connected blocks with double residual
stacking. Each block removes what it explains from its input (backcast) and adds its forecast. Seed model 7."""

from __future__ import annotations

from spaces.shared import SEED_SETTINGS
from spaces.space import Choice, Int, Space

SPACE = Space([
    Int("stacks", 1, 30),
    Int("blocks", 1, 3),
    Int("fc_layers", 2, 4),
    Int("width", 64, 512, log=True),
    Choice("share_weights", (False, True)),
])


def build(config: dict, n_features: int, horizon: int):
    import keras
    from keras import layers

    from spaces.layers import Lookback, NBeatsBlock

    window = config["window"]
    inputs = keras.Input((window, n_features))
    residual = Lookback(window, name="price_window")(inputs)  # N-BEATS is univariate
    forecast = None
    for s in range(config["stacks"]):
        shared = NBeatsBlock(window, horizon, config["width"], config["fc_layers"], name=f"stack{s}") \
            if config["share_weights"] else None
        for b in range(config["blocks"]):
            block = shared or NBeatsBlock(window, horizon, config["width"], config["fc_layers"],
                                          name=f"stack{s}_block{b}")
            backcast, block_forecast = block(residual)
            residual = layers.Subtract()([residual, backcast])
            forecast = block_forecast if forecast is None else layers.Add()([forecast, block_forecast])
    return keras.Model(inputs, forecast, name="nbeats")


PRESETS = {
    "seed-nbeats": {**SEED_SETTINGS, "family": "nbeats", "window": 7, "stacks": 30, "blocks": 1,
                    "fc_layers": 4, "width": 512, "share_weights": False, "batch_size": 1024,
                    "epochs": 5000, "patience": 200},
}
PRESETS["seed-nbeats-2-stacks"] = {**PRESETS["seed-nbeats"], "stacks": 2}
SEED_PRESET = "seed-nbeats"
# 1.6M multiply-adds per window: under the study's CPU limit, which skips the seed's 24M model.
CPU_PRESET = "seed-nbeats-2-stacks"
