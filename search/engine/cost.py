"""What a trial's training costs, counted in work done rather than epochs.

An epoch of a 3-layer bidirectional LSTM over 90 days costs thousands of times what an epoch of the
seed's small dense model does. The pruner's resource is therefore the training cost so far, in
**epochs of the family's seed preset on the same data** (:mod:`studies.samplers`), or of a model at
the study's CPU limit where that skips the preset: a model 50x as expensive per epoch reaches the
first rung after 1/50 of the epochs, and validates as often as that needs.

The cost of one window is the forward multiply-adds of the model (each layer's kernel weights times
the positions it is applied at: timesteps for recurrent, convolutional and time-distributed layers)
plus a fixed ``OVERHEAD`` of multiply-add equivalents that every window pays on a CPU whatever the
model (gathering, the optimizer step, dispatch). Training a window costs three forward passes. It
is computed from the model's shapes alone, so it is the same on every machine and every run.

Example:
    >>> import keras
    >>> inputs = keras.Input((30, 1))
    >>> model = keras.Model(inputs, keras.layers.Dense(1)(keras.layers.Dense(128)(keras.layers.Flatten()(inputs))))
    >>> macs_per_window(model)  # 30 x 128 + 128 x 1 kernel weights, each applied once
    3968
"""

from __future__ import annotations

import math

from studies.samplers import STEPS_PER_EPOCH  # noqa: F401  (the pruners' resource unit, re-exported)

# Multiply-add equivalents of the per-window work every model pays on a CPU. Measured on 2 cores
# (6 epochs, ~2,000 windows): dense models cost 0.4 us per window at 1k multiply-adds, 4 us at 20k,
# 16 us at 147k and 81 us at 833k (about 0.1 us per 1,000 beyond a floor of ~1 us); an LSTM costs
# 1-2.5x and a Conv1D 0.4x a dense model's time per multiply-add.
OVERHEAD = 10_000


def _positions(layer) -> int:
    """How many times a layer's kernels are applied per window (a shared layer once per call)."""
    calls = max(1, len(getattr(layer, "_inbound_nodes", ())))
    if type(layer).__name__ in ("LSTM", "GRU", "SimpleRNN", "Bidirectional"):
        return calls * int(layer.input.shape[1])  # every timestep of its input
    output = layer.output
    shape = () if isinstance(output, list | tuple) else tuple(output.shape)
    # (batch, steps, channels): a convolution's outputs, a dense layer applied to every step
    return calls * (int(shape[1]) if len(shape) == 3 else 1)


def macs_per_window(model) -> int:
    """Forward multiply-adds per window: each layer's kernel weights times its positions."""
    total = 0
    for layer in model.layers:
        weights = sum(math.prod(w.shape) for w in layer.trainable_weights if len(w.shape) >= 2)
        if weights:
            total += weights * _positions(layer)
    return int(total)


def epoch_cost(model, windows: int) -> float:
    """One epoch's training cost of ``model`` on ``windows`` windows, in multiply-adds."""
    return 3.0 * (macs_per_window(model) + OVERHEAD) * windows
