"""The compiled state of one group: G models' weights side by side, masked Adam, one loop.

Members' weights live in one ``(G, P)`` variable; each step gathers a mini-batch per member, runs
every member's forward pass (one branch per member in the graph, or ``tf.vectorized_map``), and
applies Adam to every member that has a batch this step. A member without one does not move at all
(a zero gradient would still move Adam's weights); padded rows of a short last batch are masked out
of its loss; its dropout draws its own random stream.
"""

from __future__ import annotations

import contextlib
import math
import random

import keras
import numpy as np
import tensorflow as tf

import spaces
from data import Scaler


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


class Group:
    """The compiled state of one group: stacked weights, Adam moments, and the chunk function.

    Its training windows live in variables of ``capacity`` rows, so :meth:`load` can give the same
    members other windows (the next origin of a rolling refit) without tracing the loop again."""

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
        self.flat = tf.Variable(np.stack([np.concatenate([np.ravel(v.numpy()) for v in view.trainable_variables])
                                          for view in self.views]).astype("float32"))
        self.m, self.v = (tf.Variable(tf.zeros_like(self.flat)) for _ in range(2))
        self.t = tf.Variable(tf.zeros([len(members)]))
        self.live = tf.Variable(tf.ones([len(members)]))  # 0: a member whose loss diverged sits out
        self.initial_state = [np.stack([v.numpy() for v in vs])
                              for vs in zip(*(view.non_trainable_variables for view in self.views), strict=True)]
        self.train_state = [tf.Variable(value) for value in self.initial_state]
        self.full_state = [np.stack([v.numpy() for v in vs])
                           for vs in zip(*(m.non_trainable_variables for m in self.models), strict=True)]
        self.lr = float(config["learning_rate"])
        self.mode = mode
        self.capacity = capacity or max(len(m.train) for m in members)
        self.batch = min(int(config["batch_size"]), self.capacity)
        first = members[0].train
        self.X = tf.Variable(tf.zeros((len(members), self.capacity, *first.X.shape[1:])))
        self.Y = tf.Variable(tf.zeros((len(members), self.capacity, first.Y.shape[1])))
        self.n_var, self.batches_var = (tf.Variable(tf.zeros([len(members)], tf.int32)) for _ in range(2))
        self.most = tf.Variable(0)  # batches of the longest member: steps per epoch
        self.load(members, scalers)
        has_val = members[0].val is not None
        self.val_x = tf.constant(_stack([s.x(m.val.X) for s, m in zip(scalers, members, strict=True)])) \
            if has_val else None
        self.run = self._compile()

    @property
    def width(self) -> int:
        """Row positions per epoch in the shuffles the loop takes: every batch of the capacity."""
        return math.ceil(self.capacity / self.batch) * self.batch

    def load(self, members: list, scalers: list[Scaler]) -> None:
        """Train the same models on ``members``' windows next (weights kept; a fresh Adam)."""
        self.n = [len(m.train) for m in members]
        if max(self.n) > self.capacity:
            raise ValueError(f"{max(self.n)} training windows exceed the group's capacity of {self.capacity}")
        self.batches = [math.ceil(n / self.batch) for n in self.n]
        self.X.assign(_stack([s.x(m.train.X) for s, m in zip(scalers, members, strict=True)], self.capacity))
        self.Y.assign(_stack([s.y(m.train.Y, m.train.X) for s, m in zip(scalers, members, strict=True)], self.capacity))
        self.n_var.assign(self.n)
        self.batches_var.assign(self.batches)
        self.most.assign(max(self.batches))
        for var in (self.m, self.v, self.t):
            var.assign(tf.zeros_like(var))
        self.live.assign(tf.ones_like(self.live))
        for var, value in zip(self.train_state, self.initial_state, strict=True):  # dropout's streams, as new
            var.assign(value)

    def pieces(self, row):
        return [tf.reshape(p, s) for p, s in zip(tf.split(row, self.sizes), self.shapes, strict=True)]

    def _forward(self, model, order, rows, state, x, training):
        """Every member's output; ``rows`` (G, P) weights, ``state`` per-member non-trainable values."""
        def one(row, member_state, member_x):
            weights = self.pieces(row)
            if order is not None:
                weights = [weights[i] for i in order]
            y, new_state = model.stateless_call(weights, list(member_state), member_x, training=training)
            return y, list(new_state)

        if self.mode == "vectorized":
            return tf.vectorized_map(lambda a: one(*a), (rows, list(state), x))
        # unstack, not rows[g]: its gradient is one stack, where G slices would each pad to (G, P)
        rows, xs = tf.unstack(rows), tf.unstack(x)
        outs = [one(rows[g], [s[g] for s in state], xs[g]) for g in range(len(self.n))]
        y = tf.stack([o[0] for o in outs])
        return y, [tf.stack([o[1][i] for o in outs]) for i in range(len(state))]

    def _compile(self):
        flat, m, v, t, state, live = self.flat, self.m, self.v, self.t, self.train_state, self.live
        G, bs, nb_max = len(self.n), self.batch, self.most
        n, batches = self.n_var, self.batches_var
        b1, b2, eps = 0.9, 0.999, 1e-7
        template, loss_fn = self.views[0], self.loss_fn
        positions = tf.range(bs)

        # One flat loop over all steps, written without AutoGraph: it traces ~30% faster than nested
        # `for ... in tf.range` loops, and tracing is most of a small model's cost per trial.
        @tf.function(autograph=False)
        def run(orders, n_epochs):
            def step(i, total):
                e, b = i // nb_max, i % nb_max
                idx = orders[:, e, b * bs : (b + 1) * bs]  # (G, bs)
                valid = tf.cast(b * bs + positions[None, :] < n[:, None], tf.float32)
                active = tf.cast(b < batches, tf.float32) * live  # members with a batch left this epoch
                x = tf.gather(self.X, idx, batch_dims=1)
                y = tf.gather(self.Y, idx, batch_dims=1)
                with tf.GradientTape() as tape:
                    tape.watch(flat)
                    pred, new_state = self._forward(template, None, flat, [s.value() for s in state], x, True)
                    per_sample = tf.reshape(loss_fn(tf.reshape(y, (G * bs, -1)),
                                                    tf.reshape(pred, (G * bs, *pred.shape[2:]))), (G, bs))
                    member_loss = tf.reduce_sum(per_sample * valid, 1) / tf.maximum(tf.reduce_sum(valid, 1), 1.0)
                    loss = tf.reduce_sum(tf.where(live > 0, member_loss, 0.0))
                grad = tape.gradient(loss, flat)
                for var, new in zip(state, new_state, strict=True):  # dropout's seeds, say
                    var.assign(tf.where(tf.reshape(active > 0, (G,) + (1,) * (new.shape.rank - 1)), new, var))
                # Adam, masked per member: a member without a batch this step does not move at all.
                step_t = t + active
                alpha = self.lr * tf.sqrt(1 - tf.pow(b2, tf.maximum(step_t, 1.0))) / \
                    (1 - tf.pow(b1, tf.maximum(step_t, 1.0)))
                a = active[:, None]
                m.assign_add(a * (1 - b1) * (grad - m))
                v.assign_add(a * (1 - b2) * (tf.square(grad) - v))
                flat.assign_sub(a * alpha[:, None] * m / (tf.sqrt(v) + eps))
                t.assign(step_t)
                return i + 1, total + tf.where(active > 0, member_loss, 0.0)

            steps = n_epochs * nb_max
            _, total = tf.while_loop(lambda i, _: i < steps, step, [tf.constant(0), tf.zeros([G])])
            mean_loss = total / tf.cast(n_epochs * batches, tf.float32)
            if self.val_x is None:
                return mean_loss, tf.zeros([0])
            val, _ = self._forward(self.models[0], self.full_order, flat, self.full_state, self.val_x, False)
            return mean_loss, val

        return run

    def set_weights(self, g: int, row: np.ndarray) -> None:
        for var, value in zip(self.views[g].trainable_variables, self.pieces(tf.constant(row)), strict=True):
            var.assign(value)


