"""Conv1D family: stacked (dilated) 1-D convolutions over the window -> head -> horizon. Seed model 4."""

from __future__ import annotations

from spaces.shared import SEED_SETTINGS, dropout, sequence, single_body
from spaces.space import Choice, Int, Space

SPACE = Space([
    Choice("layout", ("steps", "features")),  # W timesteps, or the seed's one timestep of W features
    Int("conv_layers", 1, 3),
    Int("filters", 16, 256, log=True),
    Int("kernel_size", 2, 7),
    Choice("dilation", (1, 2, 4)),
    Choice("padding", ("causal", "same")),
    Choice("head", ("last", "flatten", "pool")),
])


def body(x, config: dict):
    from keras import layers

    x = sequence(x, config)
    for i in range(config["conv_layers"]):
        x = layers.Conv1D(config["filters"], config["kernel_size"], padding=config["padding"],
                          dilation_rate=config["dilation"] ** i, activation="relu")(x)
        x = dropout(x, config)
    if config["head"] == "last":  # the causal output at the last day sees the whole receptive field
        x = layers.Cropping1D((x.shape[1] - 1, 0))(x)
    if config["head"] == "pool":
        return layers.GlobalAveragePooling1D()(x)
    return layers.Flatten()(x)


build = single_body(body, "conv1d")


PRESETS = {
    "seed-conv1d": {**SEED_SETTINGS, "family": "conv1d", "window": 7, "layout": "features", "conv_layers": 1,
                    "filters": 128, "kernel_size": 5, "dilation": 1, "padding": "causal", "head": "last"},
}
SEED_PRESET = "seed-conv1d"
