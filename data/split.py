"""Train / validation / sealed test, defined on target days.

A :class:`SplitPlan` fixes two dates: where validation targets start and where test targets
start. Search code gets a :class:`SearchData`, built from the rows *before* the first test
day, so it cannot see test prices at all. Only :class:`FinalData` (retrain and reports)
holds the full series and cuts test windows.

Example:
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"target": range(1, 101)},
    ...                      index=pd.date_range("2020-01-01", periods=100, name="date"))
    >>> plan = make_plan(frame, window=7, horizon=1)
    >>> plan.sizes(frame, window=7, horizon=1)
    {'train': 64, 'val': 10, 'test': 19}
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from data.errors import DataError
from data.features import with_features
from data.window import Windows, make_windows, n_windows

MIN_TRAIN_WINDOWS = 20


def _n_of(size: float, total: int) -> int:
    """Windows in a split: a fraction of ``total`` (the seed's rounding, train = int(0.8 n)) or a count."""
    return total - int(total * (1 - size)) if size < 1 else int(size)


def _train_windows(total: int, test_size: float, val_size: float, horizon: int) -> int:
    """Windows left for training; those straddling a split boundary are dropped."""
    return total - _n_of(test_size, total) - _n_of(val_size, total) - 2 * (horizon - 1)


def _fits(total: int, test_size: float, val_size: float, horizon: int) -> bool:
    return (total > 0 and _n_of(test_size, total) >= 1 and _n_of(val_size, total) >= 1
            and _train_windows(total, test_size, val_size, horizon) >= MIN_TRAIN_WINDOWS)


@dataclass(frozen=True)
class SplitPlan:
    """First target day of validation and of test; windows are assigned by their target days."""

    val_start: pd.Timestamp
    test_start: pd.Timestamp

    def sizes(self, frame: pd.DataFrame, *, window: int, horizon: int) -> dict[str, int]:
        final = FinalData(frame, self)
        search = final.search()
        return {
            "train": len(search.train(window=window, horizon=horizon)),
            "val": len(search.val(window=window, horizon=horizon)),
            "test": len(final.test(window=window, horizon=horizon)),
        }

    def to_dict(self) -> dict[str, str]:
        return {"val_start": str(self.val_start.date()), "test_start": str(self.test_start.date())}


def make_plan(
    frame: pd.DataFrame,
    *,
    window: int = 7,
    horizon: int = 1,
    test_size: float = 0.2,
    val_size: float = 0.1,
) -> SplitPlan:
    """Test = last ``test_size`` of the windows (fraction) or target days (integer); validation =
    the block just before it; train = the rest. ``window`` only sets the reference count."""
    source = frame.attrs.get("source", "<data>")
    for size, name in ((test_size, "test size"), (val_size, "validation size")):
        if size <= 0:
            raise DataError(source, f"{name} must be positive, got {size}")
    total = n_windows(len(frame), window, horizon)
    if not _fits(total, test_size, val_size, horizon):
        raise DataError(source, f"series too short: {len(frame)} rows, {_rows_needed(window, horizon, test_size, val_size)} needed "
                        f"for window {window} + horizon {horizon} + train/validation/test splits")
    n_test, n_val = _n_of(test_size, total), _n_of(val_size, total)
    last_first_target = len(frame) - horizon
    test_start = last_first_target - n_test + 1
    val_start = test_start - n_val - (horizon - 1)
    return SplitPlan(val_start=frame.index[val_start], test_start=frame.index[test_start])


def _rows_needed(window: int, horizon: int, test_size: float, val_size: float) -> int:
    total = next(t for t in range(1, 1_000_000) if _fits(t, test_size, val_size, horizon))
    return total + window + horizon - 1


def _between(frame, window, horizon, start=None, end=None) -> Windows:
    """Windows whose first target day is >= start and whose last target day is < end."""
    w = make_windows(frame, window=window, horizon=horizon)
    keep = pd.Series(True, index=w.days)
    if start is not None:
        keep &= w.days >= start
    if end is not None:
        keep &= (w.days + pd.Timedelta(days=horizon - 1)) < end
    mask = keep.to_numpy()
    return Windows(w.X[mask], w.Y[mask], w.days[mask])


@dataclass(frozen=True)
class SearchData:
    """What the search may see: rows strictly before the first test day."""

    frame: pd.DataFrame
    plan: SplitPlan

    def __post_init__(self):
        assert self.frame.index[-1] < self.plan.test_start, "search data must end before the test split"

    def train(self, *, window: int, horizon: int) -> Windows:
        return _between(self.frame, window, horizon, end=self.plan.val_start)

    def val(self, *, window: int, horizon: int) -> Windows:
        return _between(self.frame, window, horizon, start=self.plan.val_start)

    def with_features(self, names) -> SearchData:
        return SearchData(with_features(self.frame, names), self.plan)

    def train_series(self):
        """Training prices (Hyndman's MASE scale is their in-sample naive MAE)."""
        return self.frame["target"][self.frame.index < self.plan.val_start].to_numpy()


@dataclass(frozen=True)
class FinalData:
    """Full series: fit on train + validation, score once on the sealed test split."""

    frame: pd.DataFrame
    plan: SplitPlan

    def search(self) -> SearchData:
        return SearchData(self.frame[self.frame.index < self.plan.test_start], self.plan)

    def fit(self, *, window: int, horizon: int) -> Windows:
        return _between(self.frame, window, horizon, end=self.plan.test_start)

    def test(self, *, window: int, horizon: int) -> Windows:
        return _between(self.frame, window, horizon, start=self.plan.test_start)

    def with_features(self, names) -> FinalData:
        return FinalData(with_features(self.frame, names), self.plan)

    def fit_series(self):
        """Every price before the test split (Hyndman's MASE scale for test scores)."""
        return self.frame["target"][self.frame.index < self.plan.test_start].to_numpy()
