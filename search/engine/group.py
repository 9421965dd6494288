"""One group's step, written once for every backend: G models' weights side by side, masked Adam.

Members' weights live in one ``(G, P)`` array; each step gathers a mini-batch per member, runs
every member's forward pass (one branch per member, or the backend's ``vmap``), and applies Adam
to every member that has a batch this step. A member without one does not move at all (a zero
gradient would still move Adam's weights); padded rows of a short last batch are masked out of its
loss; its dropout draws its own random stream. Everything here is ``keras.ops`` and
``Model.stateless_call``; the compiled loop around it, and the gradient, are the backend's
(:func:`search.engine.trainer.make_group`).
"""

from __future__ import annotations

import contextlib
import math
import random

import keras
import numpy as np
from keras import ops

import spaces
from data import Scaler
from search.engine import backend

B1, B2, EPS = 0.9, 0.999, 1e-7  # Adam's, as Keras' defaults


class ModelBuildError(RuntimeError):
    """The configuration could not be built into a model."""


def _stack(arrays: list[np.ndarray], length: int | None = None) -> np.ndarray:
    """Stack arrays of unequal length along a new first axis, zero-padded to ``length`` (the longest)."""
    out = np.zeros((len(arrays), length or max(len(a) for a in arrays), *arrays[0].shape[1:]), dtype="float32")
    for g, a in enumerate(arrays):
        out[g, : len(a)] = a
    return out


def shuffles(seed: int, n: int, first_epoch: int, n_epochs: int, width: int) -> np.ndarray:
    """Row orders of ``n_epochs`` epochs from ``first_epoch``, each padded with zeros to ``width``.

    They depend on the member's seed and the epoch only, never on the group it trains in."""
    out = np.zeros((n_epochs, width), dtype="int32")
    for e in range(n_epochs):
        out[e, :n] = np.random.default_rng([seed, first_epoch + e]).permutation(n)
    return out


@contextlib.contextmanager
def seeded(seed: int):
    """Build under ``seed`` (Keras draws initial weights from its global seed) without changing
    Python's, NumPy's or Keras' global random state for the code around it."""
    from keras.src.backend.common import global_state

    saved = random.getstate(), np.random.get_state(), global_state.get_global_attribute("global_random_seed")
    keras.utils.set_random_seed(seed)
    try:
        yield
    finally:
        random.setstate(saved[0])
        np.random.set_state(saved[1])
        global_state.set_global_attribute("global_random_seed", saved[2])


def member_losses(loss_fn, y, pred, valid):
    """Each member's mean loss over its valid rows, ``(G,)``; ``valid`` (G, bs) masks the padding."""
    G, bs = valid.shape
    per_sample = ops.reshape(loss_fn(ops.reshape(y, (G * bs, -1)), ops.reshape(pred, (G * bs, *pred.shape[2:]))),
                             (G, bs))
    return ops.sum(per_sample * valid, 1) / ops.maximum(ops.sum(valid, 1), 1.0)


def masked_adam(flat, m, v, t, grad, active, lr: float):
    """One Adam step of every member with ``active`` 1; the others' weights and moments stay put."""
    step_t = t + active
    alpha = lr * ops.sqrt(1 - ops.power(B2, ops.maximum(step_t, 1.0))) / (1 - ops.power(B1, ops.maximum(step_t, 1.0)))
    a = active[:, None]
    m = m + a * (1 - B1) * (grad - m)
    v = v + a * (1 - B2) * (ops.square(grad) - v)
    return flat - a * alpha[:, None] * m / (ops.sqrt(v) + EPS), m, v, step_t


def keep_inactive(state, new_state, active):
    """Non-trainable values (dropout's seeds, say) move only for members that stepped."""
    G = active.shape[0]
    return [ops.where(ops.reshape(active > 0, (G,) + (1,) * (len(new.shape) - 1)), new, old)
            for old, new in zip(state, new_state, strict=True)]


class GroupState:
    """What every backend's group holds: the built models, their weights side by side as NumPy
    arrays, the training windows padded to ``capacity`` rows, and the validation inputs.

    :meth:`load` gives the same members other windows (the next origin of a rolling refit) without
    compiling the loop again. A backend's subclass adds ``run(orders, n_epochs)``, returning each
    member's mean training loss and validation forecast as NumPy arrays, and ``row``/``drop``."""

    def __init__(self, config: dict, members: list, scalers: list[Scaler], mode: str, capacity: int | None = None):
        n_features, horizon = members[0].train.X.shape[2], members[0].train.Y.shape[1]
        self.models, views = [], []
        for m in members:
            try:
                with seeded(m.seed):
                    model = spaces.build(config, n_features, horizon)
            except (ValueError, TypeError) as err:  # Keras rejects a configuration while building it
                raise ModelBuildError(f"cannot build model: {type(err).__name__}: {err}") from err
            if m.start is not None:
                model.set_weights(m.start.get_weights())
            self.models.append(model)
            views.append(spaces.training_view(model, config))
        self.views = [v for v, _ in views]
        self.loss_fn = views[0][1]
        template, full = self.views[0], self.models[0]
        self.shapes = [tuple(v.shape) for v in template.trainable_variables]
        self.sizes = [int(np.prod(s)) for s in self.shapes]
        position = {id(v): i for i, v in enumerate(template.trainable_variables)}
        # The full model (an ensemble's aggregate) reads the same variables in its own order.
        self.full_order = [position[id(v)] for v in full.trainable_variables]
        self.flat0 = np.stack([np.concatenate([np.ravel(np.asarray(v)) for v in view.trainable_variables])
                               for view in self.views]).astype("float32")
        self.initial_state = [np.stack([np.asarray(v) for v in vs])
                              for vs in zip(*(view.non_trainable_variables for view in self.views), strict=True)]
        self.full_state = [np.stack([np.asarray(v) for v in vs])
                           for vs in zip(*(m.non_trainable_variables for m in self.models), strict=True)]
        self.lr = float(config["learning_rate"])
        self.mode = mode
        self.G = len(members)
        self.capacity = capacity or max(len(m.train) for m in members)
        self.batch = min(int(config["batch_size"]), self.capacity)
        self.val_x = _stack([s.x(m.val.X) for s, m in zip(scalers, members, strict=True)]) \
            if members[0].val is not None else None

    @property
    def width(self) -> int:
        """Row positions per epoch in the shuffles the loop takes: every batch of the capacity."""
        return math.ceil(self.capacity / self.batch) * self.batch

    def windows(self, members: list, scalers: list[Scaler]) -> dict:
        """``members``' training windows as the loop reads them (padded to the capacity)."""
        n = [len(m.train) for m in members]
        if max(n) > self.capacity:
            raise ValueError(f"{max(n)} training windows exceed the group's capacity of {self.capacity}")
        self.n = n
        self.batches = [math.ceil(k / self.batch) for k in n]
        return {"X": _stack([s.x(m.train.X) for s, m in zip(scalers, members, strict=True)], self.capacity),
                "Y": _stack([s.y(m.train.Y, m.train.X) for s, m in zip(scalers, members, strict=True)], self.capacity),
                "n": np.asarray(n, "int32"), "batches": np.asarray(self.batches, "int32"),
                "most": np.int32(max(self.batches))}

    def pieces(self, row):
        # Static slices, not ops.split: a model with one weight tensor has no split points, which
        # TensorFlow's split cannot take.
        ends = np.cumsum(self.sizes).tolist()
        return [ops.reshape(row[end - size:end], shape)
                for end, size, shape in zip(ends, self.sizes, self.shapes, strict=True)]

    def forward(self, model, order, rows, state, x, training):
        """Every member's output; ``rows`` (G, P) weights, ``state`` per-member non-trainable values."""
        def one(row, member_state, member_x):
            weights = self.pieces(row)
            if order is not None:
                weights = [weights[i] for i in order]
            y, new_state = model.stateless_call(weights, list(member_state), member_x, training=training)
            return y, list(new_state)

        if self.mode == "vectorized":
            return backend.vmap(one)(rows, list(state), x)
        # unstack, not rows[g]: its gradient is one stack, where G slices would each pad to (G, P)
        rows, xs = ops.unstack(rows, self.G), ops.unstack(x, self.G)
        outs = [one(rows[g], [s[g] for s in state], xs[g]) for g in range(self.G)]
        y = ops.stack([o[0] for o in outs])
        return y, [ops.stack([o[1][i] for o in outs]) for i in range(len(state))]

    def set_weights(self, g: int, row: np.ndarray) -> None:
        for var, value in zip(self.views[g].trainable_variables, self.pieces(ops.convert_to_tensor(row)), strict=True):
            var.assign(value)
