"""The group's compiled loop on JAX: ``jax.value_and_grad``, one ``jax.jit`` and ``lax.fori_loop``.

The state (weights, Adam moments, non-trainable values) is carried through the loop and handed
back, not assigned; the step itself is :mod:`search.engine.group`'s, as on TensorFlow. With
``mode="vectorized"`` (the default here) the members' forward passes are one ``jax.vmap``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from data import Scaler
from search.engine.group import GroupState, keep_inactive, masked_adam, member_losses


class JaxGroup(GroupState):
    def __init__(self, config: dict, members: list, scalers: list[Scaler], mode: str, capacity: int | None = None):
        super().__init__(config, members, scalers, mode, capacity)
        self.flat = jnp.asarray(self.flat0)
        self.live = np.ones(self.G, "float32")  # 0: a member whose loss diverged sits out
        self.load(members, scalers)
        self._run = jax.jit(self._loop())

    def load(self, members: list, scalers: list[Scaler]) -> None:
        """Train the same models on ``members``' windows next (weights kept; a fresh Adam)."""
        self.data = {k: jnp.asarray(v) for k, v in self.windows(members, scalers).items()}
        zeros = jnp.zeros_like(self.flat)
        self.adam = (zeros, zeros, jnp.zeros(self.G))
        self.state = [jnp.asarray(s) for s in self.initial_state]  # dropout's streams, as new
        self.live = np.ones(self.G, "float32")

    def run(self, orders: np.ndarray, n_epochs: int) -> tuple[np.ndarray, np.ndarray]:
        carry = (self.flat, *self.adam, self.state)
        (self.flat, m, v, t, self.state), loss, val = self._run(carry, self.data, jnp.asarray(self.live),
                                                                 jnp.asarray(orders), jnp.int32(n_epochs))
        self.adam = (m, v, t)
        return np.asarray(loss), np.asarray(val)

    def row(self, g: int) -> np.ndarray:
        return np.asarray(self.flat[g])

    def rows(self) -> np.ndarray:
        return np.asarray(self.flat)

    def drop(self, g: int) -> None:
        self.live[g] = 0.0

    def _loop(self):
        G, bs, lr = self.G, self.batch, self.lr
        template, loss_fn, val_x = self.views[0], self.loss_fn, self.val_x
        positions = jnp.arange(bs)

        def loss_of(flat, state, x, y, valid, live):
            pred, new_state = self.forward(template, None, flat, state, x, True)
            member = member_losses(loss_fn, y, pred, valid)
            return jnp.sum(jnp.where(live > 0, member, 0.0)), (member, new_state)

        grad_of = jax.value_and_grad(loss_of, has_aux=True)
        take = jax.vmap(lambda rows, idx: rows[idx])

        def run(carry, data, live, orders, n_epochs):
            most, n, batches = data["most"], data["n"], data["batches"]

            def step(i, c):
                flat, m, v, t, state, total = c
                e, b = i // most, i % most
                idx = lax.dynamic_slice_in_dim(orders[:, e], b * bs, bs, axis=1)  # (G, bs)
                valid = (b * bs + positions[None, :] < n[:, None]).astype("float32")
                active = (b < batches).astype("float32") * live  # members with a batch left this epoch
                x, y = take(data["X"], idx), take(data["Y"], idx)
                (_, (member, new_state)), grad = grad_of(flat, state, x, y, valid, live)
                state = keep_inactive(state, new_state, active)
                flat, m, v, t = masked_adam(flat, m, v, t, grad, active, lr)
                return flat, m, v, t, state, total + jnp.where(active > 0, member, 0.0)

            *carry, total = lax.fori_loop(0, n_epochs * most, step, (*carry, jnp.zeros(G)))
            mean_loss = total / (n_epochs * batches).astype("float32")
            if val_x is None:
                return tuple(carry), mean_loss, jnp.zeros([0])
            val, _ = self.forward(self.models[0], self.full_order, carry[0], self.full_state, val_x, False)
            return tuple(carry), mean_loss, val

        return run
