"""Cut a series into (past window -> next horizon) pairs, vectorised."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view


@dataclass(frozen=True)
class Windows:
    """``X`` (n, window, features) raw inputs; ``Y`` (n, horizon) raw target prices.

    ``days`` is the first target day of each window: splits are defined on it, so every model
    and the naive baseline are scored on the same days whatever their window size.
    """

    X: np.ndarray
    Y: np.ndarray
    days: pd.DatetimeIndex

    def __len__(self) -> int:
        return len(self.Y)

    def long_index(self) -> dict[str, np.ndarray]:
        """``date`` and ``step`` of every (window, horizon step) pair, flattened like ``Y.ravel()``:
        the first columns of every table of forecasts."""
        n, h = self.Y.shape
        return {"date": self.days.repeat(h) + pd.to_timedelta(np.tile(np.arange(h), n), unit="D"),
                "step": np.tile(np.arange(1, h + 1), n)}

    @property
    def naive(self) -> np.ndarray:
        """The naive forecast: the last observed price repeated over the horizon."""
        return np.repeat(self.X[:, -1, :1], self.Y.shape[1], axis=1)


def make_windows(frame: pd.DataFrame, *, window: int, horizon: int) -> Windows:
    """All windows of ``frame`` (first column is the target). No Python loop over rows."""
    values = frame.to_numpy(dtype="float64")
    n = len(values) - window - horizon + 1
    if n <= 0:
        empty = np.empty((0, window, values.shape[1]))
        return Windows(empty, np.empty((0, horizon)), pd.DatetimeIndex([]))
    X = sliding_window_view(values[: window + n - 1], window, axis=0).transpose(0, 2, 1)
    Y = sliding_window_view(values[window:, 0], horizon)[:n]
    return Windows(np.ascontiguousarray(X), np.ascontiguousarray(Y), frame.index[window : window + n])


def n_windows(n_rows: int, window: int, horizon: int) -> int:
    return max(n_rows - window - horizon + 1, 0)
