"""LSTM family: stacked (bidirectional) LSTMs over the window -> dense head -> horizon. Seed model 5."""

from __future__ import annotations

from spaces.shared import SEED_SETTINGS, dropout, sequence, single_body
from spaces.space import Choice, Int, Space

SPACE = Space([
    Choice("layout", ("steps", "features")),  # W timesteps, or the seed's one timestep of W features
    Int("lstm_layers", 1, 3),
    Int("units", 16, 256, log=True),
    Choice("bidirectional", (False, True)),
    Choice("activation", ("tanh", "relu")),
    Choice("head_units", (0, 32, 64, 128)),
])


def body(x, config: dict):
    from keras import layers

    x = sequence(x, config)
    n = config["lstm_layers"]
    for i in range(n):
        rnn = layers.LSTM(config["units"], activation=config["activation"], return_sequences=i < n - 1)
        x = layers.Bidirectional(rnn)(x) if config["bidirectional"] else rnn(x)
        x = dropout(x, config)
    if config["head_units"]:
        x = layers.Dense(config["head_units"], activation="relu")(x)
    return x


build = single_body(body, "lstm")


PRESETS = {
    "seed-lstm": {**SEED_SETTINGS, "family": "lstm", "window": 7, "layout": "features", "lstm_layers": 1,
                  "units": 128, "bidirectional": False, "activation": "relu", "head_units": 0},
}
SEED_PRESET = "seed-lstm"
# On a CPU an LSTM's recurrent steps are sequential and arithmetic-bound: G of them in one graph
# compete for the cores. Measured 1.15x faster at G = 3 and 0.78x at G = 8 (search.bench --only batched).
GROUP_SIZE = 3
