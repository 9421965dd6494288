"""Input/target scalers, fitted on training windows only, stored as JSON-able dicts.

- ``none``: raw prices (the seed's way).
- ``minmax``: each column mapped to [0, 1] with the training minimum and maximum.
- ``logrel``: the price channel becomes ``log(x / x_last)`` of its own window, targets likewise,
  so the model learns returns and is scale-free; other columns are min-max scaled.
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

    @classmethod
    def fit(cls, kind: str, X: np.ndarray) -> Scaler:
        if kind not in SCALERS:
            raise ValueError(f"unknown scaler {kind!r}; choose from {SCALERS}")
        flat = X.reshape(-1, X.shape[-1])
        return cls(kind, flat.min(axis=0).tolist(), flat.max(axis=0).tolist())

    def _minmax(self, X, cols):
        lo, hi = np.asarray(self.lo)[cols], np.asarray(self.hi)[cols]
        return (X - lo) / np.where(hi > lo, hi - lo, 1.0)

    def x(self, X: np.ndarray) -> np.ndarray:
        """Scaled model inputs (float32)."""
        if self.kind == "none":
            return X.astype("float32")
        out = self._minmax(X, slice(None))
        if self.kind == "logrel":
            out[..., 0] = np.log(X[..., 0] / X[:, -1:, 0])
        return out.astype("float32")

    def y(self, Y: np.ndarray, X: np.ndarray) -> np.ndarray:
        """Scaled targets (float32); ``X`` are the raw inputs of the same windows."""
        if self.kind == "none":
            return Y.astype("float32")
        if self.kind == "minmax":
            return self._minmax(Y, 0).astype("float32")
        return np.log(Y / X[:, -1:, 0]).astype("float32")

    def inverse_y(self, Yhat: np.ndarray, X: np.ndarray) -> np.ndarray:
        """Predictions back in prices (float64)."""
        Yhat = np.asarray(Yhat, dtype="float64")
        if self.kind == "none":
            return Yhat
        if self.kind == "minmax":
            return Yhat * (self.hi[0] - self.lo[0] or 1.0) + self.lo[0]
        with np.errstate(over="ignore"):  # a diverging model's inf forecast fails its trial, quietly
            return X[:, -1:, 0] * np.exp(Yhat)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "lo": self.lo, "hi": self.hi}
