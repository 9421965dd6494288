"""Multivariate family: a dense, Conv1D or LSTM body over price + extra feature columns. Seed model 6."""

from __future__ import annotations

from spaces import conv1d, dense, lstm
from spaces.shared import SEED_SETTINGS
from spaces.space import Choice, Space

BODIES = {"dense": dense, "conv1d": conv1d, "lstm": lstm}

SPACE = Space([
    Choice("block_reward", (True, False)),
    Choice("volume", (False, True)),  # only files with a volume column (Yahoo layout) have one
    Choice("body", tuple(BODIES)),
])
for _name, _module in BODIES.items():
    SPACE = SPACE + _module.SPACE.prefixed(_name, when=("body", (_name,)))


def features(config: dict) -> list[str]:
    return [name for name in ("block_reward", "volume") if config.get(name)]


def group_size(config: dict) -> int:
    """As many side by side as its body's family trains."""
    from spaces import CPU_GROUP_SIZE

    return getattr(BODIES[config["body"]], "GROUP_SIZE", CPU_GROUP_SIZE)


def body_config(config: dict) -> dict:
    prefix = config["body"] + "."
    inner = {k[len(prefix):]: v for k, v in config.items() if k.startswith(prefix)}
    return {**config, **inner}


def build(config: dict, n_features: int, horizon: int):
    import keras

    inputs = keras.Input((config["window"], n_features))
    x = BODIES[config["body"]].body(inputs, body_config(config))
    return keras.Model(inputs, keras.layers.Dense(horizon)(x), name="multivariate")


PRESETS = {
    "seed-multivariate": {**SEED_SETTINGS, "family": "multivariate", "window": 7, "block_reward": True,
                          "volume": False, "body": "dense", "dense.layers": 1, "dense.units": 128,
                          "dense.activation": "relu"},
}
SEED_PRESET = "seed-multivariate"
