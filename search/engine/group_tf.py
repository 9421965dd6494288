"""The group's compiled loop on TensorFlow: variables, ``GradientTape`` and one ``tf.while_loop``."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from data import Scaler
from search.engine.group import GroupState, keep_inactive, masked_adam, member_losses


class TFGroup(GroupState):
    """Weights, Adam moments and windows in ``tf.Variable``\\ s, so that :meth:`load` reuses the
    traced loop for other windows."""

    def __init__(self, config: dict, members: list, scalers: list[Scaler], mode: str, capacity: int | None = None):
        super().__init__(config, members, scalers, mode, capacity)
        self.flat = tf.Variable(self.flat0)
        self.m, self.v = (tf.Variable(tf.zeros_like(self.flat)) for _ in range(2))
        self.t = tf.Variable(tf.zeros([self.G]))
        self.live = tf.Variable(tf.ones([self.G]))  # 0: a member whose loss diverged sits out
        self.train_state = [tf.Variable(value) for value in self.initial_state]
        first = members[0].train
        self.X = tf.Variable(tf.zeros((self.G, self.capacity, *first.X.shape[1:])))
        self.Y = tf.Variable(tf.zeros((self.G, self.capacity, first.Y.shape[1])))
        self.n_var, self.batches_var = (tf.Variable(tf.zeros([self.G], tf.int32)) for _ in range(2))
        self.most = tf.Variable(0)  # batches of the longest member: steps per epoch
        self.load(members, scalers)
        if self.val_x is not None:
            self.val_x = tf.constant(self.val_x)
        self._run = self._compile()

    def load(self, members: list, scalers: list[Scaler]) -> None:
        """Train the same models on ``members``' windows next (weights kept; a fresh Adam)."""
        w = self.windows(members, scalers)
        self.X.assign(w["X"])
        self.Y.assign(w["Y"])
        self.n_var.assign(w["n"])
        self.batches_var.assign(w["batches"])
        self.most.assign(w["most"])
        for var in (self.m, self.v, self.t):
            var.assign(tf.zeros_like(var))
        self.live.assign(tf.ones_like(self.live))
        for var, value in zip(self.train_state, self.initial_state, strict=True):  # dropout's streams, as new
            var.assign(value)

    def run(self, orders: np.ndarray, n_epochs: int) -> tuple[np.ndarray, np.ndarray]:
        loss, val = self._run(tf.constant(orders), tf.constant(n_epochs))
        return loss.numpy(), val.numpy()

    def row(self, g: int) -> np.ndarray:
        return self.flat[g].numpy()

    def rows(self) -> np.ndarray:
        return self.flat.numpy()

    def drop(self, g: int) -> None:
        self.live[g].assign(0.0)

    def _compile(self):
        flat, m, v, t, state, live = self.flat, self.m, self.v, self.t, self.train_state, self.live
        G, bs, nb_max = self.G, self.batch, self.most
        n, batches = self.n_var, self.batches_var
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
                    pred, new_state = self.forward(template, None, flat, [s.value() for s in state], x, True)
                    member_loss = member_losses(loss_fn, y, pred, valid)
                    loss = tf.reduce_sum(tf.where(live > 0, member_loss, 0.0))
                grad = tape.gradient(loss, flat)
                for var, new in zip(state, keep_inactive([s.value() for s in state], new_state, active), strict=True):
                    var.assign(new)
                for var, new in zip((flat, m, v, t), masked_adam(flat, m, v, t, grad, active, self.lr), strict=True):
                    var.assign(new)
                return i + 1, total + tf.where(active > 0, member_loss, 0.0)

            steps = n_epochs * nb_max
            _, total = tf.while_loop(lambda i, _: i < steps, step, [tf.constant(0), tf.zeros([G])])
            mean_loss = total / tf.cast(n_epochs * batches, tf.float32)
            if self.val_x is None:
                return mean_loss, tf.zeros([0])
            val, _ = self.forward(self.models[0], self.full_order, flat, self.full_state, self.val_x, False)
            return mean_loss, val

        return run
