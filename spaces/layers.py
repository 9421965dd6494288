"""Custom Keras layers. Each is registered and has ``get_config``, so every model saves as
``.keras`` and reloads (the seed's N-BEATS layer could not)."""

from __future__ import annotations

import keras
from keras import layers, ops

register = keras.saving.register_keras_serializable(package="bitpredict")


@register
class Lookback(layers.Layer):
    """The last ``days`` steps of the price channel: ``(batch, window, features) -> (batch, days)``."""

    def __init__(self, days: int, **kwargs):
        super().__init__(**kwargs)
        self.days = int(days)

    def call(self, x):
        return x[:, -self.days :, 0]

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.days)

    def get_config(self):
        return {**super().get_config(), "days": self.days}


@register
class NBeatsBlock(layers.Layer):
    """Generic N-BEATS block: fully connected stack -> theta -> (backcast, forecast).

    The generic basis is a linear map of theta, as in the paper's generic architecture.
    """

    def __init__(self, input_size: int, horizon: int, width: int = 512, n_layers: int = 4, **kwargs):
        super().__init__(**kwargs)
        self.input_size, self.horizon = int(input_size), int(horizon)
        self.width, self.n_layers = int(width), int(n_layers)
        self.hidden = [layers.Dense(self.width, activation="relu") for _ in range(self.n_layers)]
        self.theta = layers.Dense(self.input_size + self.horizon, name="theta")

    def build(self, input_shape):
        shape = input_shape
        for dense in self.hidden:
            dense.build(shape)
            shape = (shape[0], self.width)
        self.theta.build(shape)

    def call(self, x):
        for dense in self.hidden:
            x = dense(x)
        theta = self.theta(x)
        return theta[:, : self.input_size], theta[:, self.input_size :]

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.input_size), (input_shape[0], self.horizon)

    def get_config(self):
        return {**super().get_config(), "input_size": self.input_size, "horizon": self.horizon,
                "width": self.width, "n_layers": self.n_layers}


@register
class Members(layers.Layer):
    """Stack member forecasts: list of ``(batch, horizon)`` -> ``(batch, members, horizon)``."""

    def call(self, xs):
        return ops.stack(xs, axis=1)

    def compute_output_shape(self, input_shapes):
        return (input_shapes[0][0], len(input_shapes), input_shapes[0][1])


@register
class Aggregate(layers.Layer):
    """Median (robust, the seed's choice) or mean over the member axis."""

    def __init__(self, how: str = "median", **kwargs):
        super().__init__(**kwargs)
        if how not in ("median", "mean"):
            raise ValueError(f"aggregate must be 'median' or 'mean', got {how!r}")
        self.how = how

    def call(self, x):
        return ops.median(x, axis=1) if self.how == "median" else ops.mean(x, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2])

    def get_config(self):
        return {**super().get_config(), "how": self.how}
