"""Parameters every family shares, and the pieces every builder uses."""

from __future__ import annotations

from spaces.space import Choice, Float, Int, Space

SHARED = Space([
    Int("window", 7, 90, log=True),
    Choice("scaler", ("none", "minmax", "logrel")),
    Float("learning_rate", 1e-4, 1e-2, log=True),
    Choice("batch_size", (32, 64, 128, 256, 512, 1024)),
    Choice("loss", ("mae", "mse", "huber", "mape")),
    Float("dropout", 0.0, 0.5),
])

# The seed's training settings, the base of every seed preset.
SEED_SETTINGS = {"scaler": "none", "learning_rate": 1e-3, "batch_size": 128, "loss": "mae",
                 "dropout": 0.0, "epochs": 100, "patience": 100}


def loss_fn(name: str, scaler: str = "none"):
    """The named loss, per sample: ``(y_true, y_pred) -> (batch,)`` (the trainer masks and averages).

    A ``logrel`` model forecasts log returns, whose percentage errors divide by numbers near zero;
    the percentage error of the *price* it implies is, to first order, the absolute error of the
    log return, so MAPE trains as MAE there."""
    import keras

    if name == "mape" and scaler == "logrel":
        name = "mae"
    return {
        "mae": keras.losses.MeanAbsoluteError,
        "mse": keras.losses.MeanSquaredError,
        "huber": keras.losses.Huber,
        "mape": keras.losses.MeanAbsolutePercentageError,
    }[name](reduction=None)


def dropout(x, config: dict):
    import keras

    rate = config.get("dropout", 0.0)
    return keras.layers.Dropout(rate)(x) if rate else x


def single_body(body, name: str):
    """``build`` of a family whose model is its body then a linear head to the horizon."""

    def build(config: dict, n_features: int, horizon: int):
        import keras

        inputs = keras.Input((config["window"], n_features))
        return keras.Model(inputs, keras.layers.Dense(horizon)(body(inputs, config)), name=name)

    return build


def sequence(inputs, config: dict):
    """How a recurrent or convolutional body reads the window.

    ``steps``: W timesteps of F features. ``features``: one timestep of W x F features, the seed's
    reading (its ``expand_dims`` Lambda); a Reshape does the same and saves without custom code."""
    import keras

    if config.get("layout", "steps") == "steps":
        return inputs
    return keras.layers.Reshape((1, inputs.shape[1] * inputs.shape[2]))(inputs)
