"""Dense (MLP) family: flattened window -> hidden layers -> horizon. Seed models 1-3."""

from __future__ import annotations

from spaces.shared import SEED_SETTINGS, dropout, single_body
from spaces.space import Choice, Int, Space

SPACE = Space([
    Int("layers", 1, 4),
    Int("units", 16, 512, log=True),
    Choice("activation", ("relu", "gelu", "tanh", "elu")),
])


def body(x, config: dict):
    from keras import layers

    x = layers.Flatten()(x)
    for _ in range(config["layers"]):
        init = config.get("initializer", "glorot_uniform")
        x = layers.Dense(config["units"], activation=config["activation"], kernel_initializer=init)(x)
        x = dropout(x, config)
    return x


build = single_body(body, "dense")


_SEED = {**SEED_SETTINGS, "family": "dense", "layers": 1, "units": 128, "activation": "relu"}
PRESETS = {
    "seed-dense-w7": {**_SEED, "window": 7},
    "seed-dense-w30": {**_SEED, "window": 30},
    "seed-dense-w30-h7": {**_SEED, "window": 30, "horizon": 7},
}
SEED_PRESET = "seed-dense-w7"
