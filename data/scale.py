"""Input/target scalers, fitted on training windows only, stored as JSON-able dicts.

- ``none``: raw prices (the seed's way).
- ``minmax``: each column mapped to [0, 1] with the training minimum and maximum.
- ``logrel``: the price channel becomes ``log(x / x_last)`` of its own window, targets likewise,
  so the model learns returns and is scale-free; both are divided by ``scale``, the standard
  deviation of the training windows' daily log returns, so that a network sees numbers near 1
  rather than near 0.04 (its initial weights and learning rates assume the former). Other columns
  are min-max scaled. (A scaler saved before ``scale`` existed reads as scale 1, as it was fitted.)

Example:
    >>> X = 100 * np.exp(np.cumsum(np.random.default_rng(0).normal(scale=0.04, size=(50, 8, 1)), axis=1))
    >>> s = Scaler.fit("logrel", X)
    >>> round(s.scale, 3), float(np.abs(s.x(X)).max()) > 1  # daily moves of 4%: inputs of order 1
    (0.041, True)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

SCALERS = ("none", "minmax", "logrel")


@dataclass
class Scaler:
    kind: str = "none"
    lo: list[float] = field(default_factory=list)
    hi: list[float] = field(default_factory=list)
    scale: float = 1.0

    @classmethod
    def fit(cls, kind: str, X: np.ndarray) -> Scaler:
        if kind not in SCALERS:
            raise ValueError(f"unknown scaler {kind!r}; choose from {SCALERS}")
        flat = X.reshape(-1, X.shape[-1])
        scale = 1.0
        if kind == "logrel" and X.shape[1] > 1:
            moves = np.diff(np.log(X[..., 0]), axis=1)
            scale = float(np.std(moves)) or 1.0
        return cls(kind, flat.min(axis=0).tolist(), flat.max(axis=0).tolist(), scale)

    def _minmax(self, X, cols):
        lo, hi = np.asarray(self.lo)[cols], np.asarray(self.hi)[cols]
        return (X - lo) / np.where(hi > lo, hi - lo, 1.0)

    def x(self, X: np.ndarray) -> np.ndarray:
        """Scaled model inputs (float32)."""
        if self.kind == "none":
            return X.astype("float32")
        out = self._minmax(X, slice(None))
        if self.kind == "logrel":
            out[..., 0] = np.log(X[..., 0] / X[:, -1:, 0]) / self.scale
        return out.astype("float32")

    def y(self, Y: np.ndarray, X: np.ndarray) -> np.ndarray:
        """Scaled targets (float32); ``X`` are the raw inputs of the same windows."""
        if self.kind == "none":
            return Y.astype("float32")
        if self.kind == "minmax":
            return self._minmax(Y, 0).astype("float32")
        return (np.log(Y / X[:, -1:, 0]) / self.scale).astype("float32")

    def inverse_y(self, Yhat: np.ndarray, X: np.ndarray) -> np.ndarray:
        """Predictions back in prices (float64)."""
        Yhat = np.asarray(Yhat, dtype="float64")
        if self.kind == "none":
            return Yhat
        if self.kind == "minmax":
            return Yhat * (self.hi[0] - self.lo[0] or 1.0) + self.lo[0]
        with np.errstate(over="ignore"):  # a diverging model's inf forecast fails its trial, quietly
            return X[:, -1:, 0] * np.exp(Yhat * self.scale)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "lo": self.lo, "hi": self.hi, "scale": self.scale}
