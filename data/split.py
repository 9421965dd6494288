"""Walk-forward validation folds and a sealed test split, defined on target days.

A :class:`SplitPlan` fixes dates: where test targets start, and the origin of each validation
fold. Fold ``k`` validates on the block of days from its origin to the next origin (the last
fold ends where test begins) and trains on everything before its origin (an expanding window).
One fold is the classic train / validation / test split.

Search code gets a :class:`SearchData`, built from the rows *before* the first test day, so it
cannot see test prices at all. Only :class:`FinalData` (retrain and reports) holds the full
series and cuts test windows, in one static block or in rolling-origin segments.

Example:
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"target": range(1, 101)},
    ...                      index=pd.date_range("2020-01-01", periods=100, name="date"))
    >>> plan = make_plan(frame, window=7, horizon=1)
    >>> plan.sizes(frame, window=7, horizon=1)
    {'train': 64, 'val': 10, 'test': 19}
    >>> plan = make_plan(frame, window=7, horizon=1, val_size=8, folds=3)
    >>> [len(f.val) for f in FinalData(frame, plan).search().folds(window=7, horizon=1)]
    [8, 8, 8]
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from data.errors import DataError
from data.features import with_features
from data.window import Windows, make_windows, n_windows

MIN_TRAIN_WINDOWS = 20
# Fractions of the windows refer to this window, the smallest any space samples; every split
# (and every model and baseline) is defined on target days, so the same days result for any window.
REFERENCE_WINDOW = 7
DEFAULT_TEST_SIZE, DEFAULT_VAL_SIZE = 0.2, 0.1  # the seed's 80/20 split; each validation fold 10%


class SealedSplitError(RuntimeError):
    """Search code was handed rows from the test split: a bug, never a user error."""


def is_fraction(size: float) -> bool:
    """A split size below 1 is a fraction of the windows, else a number of target days."""
    return size < 1


def check_size(size: float) -> float:
    """A usable split size: a fraction in (0, 1) or a whole number of days (``ValueError`` otherwise)."""
    if size <= 0 or (not is_fraction(size) and size != int(size)):
        raise ValueError(f"{size:g} is neither a fraction in (0, 1) nor a whole number of days")
    return size


def _n_of(size: float, total: int) -> int:
    """Windows in a split: a fraction of ``total`` (the seed's rounding, train = int(0.8 n)) or a count."""
    return total - int(total * (1 - size)) if is_fraction(size) else int(size)


def _train_windows(total: int, test_size: float, val_size: float, horizon: int, folds: int) -> int:
    """Windows left for the first fold's training; those straddling a boundary are dropped."""
    return total - _n_of(test_size, total) - folds * _n_of(val_size, total) - (folds + 1) * (horizon - 1)


def _fits(total: int, test_size: float, val_size: float, horizon: int, folds: int) -> bool:
    return (total > 0 and _n_of(test_size, total) >= 1 and _n_of(val_size, total) >= 1
            and _train_windows(total, test_size, val_size, horizon, folds) >= MIN_TRAIN_WINDOWS)


def _rows_needed(window: int, horizon: int, test_size: float, val_size: float, folds: int) -> int:
    fractions = sum(s for s in (test_size, *[val_size] * folds) if is_fraction(s))
    counts = sum(s for s in (test_size, *[val_size] * folds) if not is_fraction(s))
    # With fractions f of the windows held out, training grows by (1 - f) per window added.
    bound = int((counts + MIN_TRAIN_WINDOWS + (folds + 1) * horizon + 2) / (1 - fractions)) + 10
    total = next(t for t in range(1, bound + 1) if _fits(t, test_size, val_size, horizon, folds))
    return total + window + horizon - 1


@dataclass(frozen=True)
class Fold:
    """One walk-forward fold: train on everything before the origin, validate on the block after it."""

    train: Windows
    val: Windows


@dataclass(frozen=True)
class SplitPlan:
    """First target day of each validation fold and of test; windows are assigned by their target days."""

    val_starts: tuple[pd.Timestamp, ...]
    test_start: pd.Timestamp

    @property
    def val_start(self) -> pd.Timestamp:
        """Where the first fold's validation starts: the search trains on nothing later."""
        return self.val_starts[0]

    @property
    def folds(self) -> int:
        return len(self.val_starts)

    def sizes(self, frame: pd.DataFrame, *, window: int, horizon: int) -> dict[str, int]:
        """Windows per split; with several folds, ``train`` is the first fold's and ``val`` is per fold."""
        final = FinalData(frame, self)
        folds = final.search().folds(window=window, horizon=horizon)
        return {"train": len(folds[0].train), "val": len(folds[-1].val),
                "test": len(final.test(window=window, horizon=horizon))}

    def max_window(self, frame: pd.DataFrame, *, horizon: int) -> int:
        """The largest window that still leaves the first fold ``MIN_TRAIN_WINDOWS`` to train on."""
        origin = frame.index.get_loc(self.val_starts[0])
        return origin - horizon + 1 - MIN_TRAIN_WINDOWS

    def to_dict(self) -> dict:
        return {"val_start": str(self.val_start.date()), "test_start": str(self.test_start.date()),
                "val_starts": [str(d.date()) for d in self.val_starts]}


def make_plan(
    frame: pd.DataFrame,
    *,
    window: int = REFERENCE_WINDOW,
    horizon: int = 1,
    test_size: float = DEFAULT_TEST_SIZE,
    val_size: float = DEFAULT_VAL_SIZE,
    folds: int = 1,
) -> SplitPlan:
    """Test = last ``test_size`` of the windows (fraction) or target days (integer); before it,
    ``folds`` validation blocks of ``val_size`` each; train = the rest. ``window`` only sets the
    reference count of windows that fractions refer to."""
    source = frame.attrs.get("source", "<data>")
    for size, name in ((test_size, "test size"), (val_size, "validation size")):
        if size <= 0:
            raise DataError(source, f"{name} must be positive, got {size}")
    if folds < 1:
        raise DataError(source, f"validation folds must be at least 1, got {folds}")
    held_out = sum(s for s in (test_size, *[val_size] * folds) if is_fraction(s))
    if held_out >= 1:
        raise DataError(source, f"test size {test_size:g} and {folds} validation fold(s) of {val_size:g} "
                                f"hold out {held_out:.0%} of the windows, leaving no training data")
    total = n_windows(len(frame), window, horizon)
    if not _fits(total, test_size, val_size, horizon, folds):
        needed = _rows_needed(window, horizon, test_size, val_size, folds)
        raise DataError(source, f"series too short: {len(frame)} rows, {needed} needed for window {window} + "
                                f"horizon {horizon} + train, {folds} validation fold(s) and test")
    n_test, n_val = _n_of(test_size, total), _n_of(val_size, total)
    test_start = len(frame) - horizon - n_test + 1
    starts = [test_start - (k + 1) * (n_val + horizon - 1) for k in range(folds)][::-1]
    return SplitPlan(val_starts=tuple(frame.index[s] for s in starts), test_start=frame.index[test_start])


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
        # A real check, not an assert: `python -O` must not open the test split to the search.
        if len(self.frame) and self.frame.index[-1] >= self.plan.test_start:
            raise SealedSplitError(f"search data reaches {self.frame.index[-1].date()}, "
                                   f"but the test split starts {self.plan.test_start.date()}")

    def folds(self, *, window: int, horizon: int) -> list[Fold]:
        """Walk-forward folds, oldest first: expanding training window, one block of validation each."""
        ends = [*self.plan.val_starts[1:], self.plan.test_start]
        return [Fold(_between(self.frame, window, horizon, end=start),
                     _between(self.frame, window, horizon, start=start, end=end))
                for start, end in zip(self.plan.val_starts, ends, strict=True)]

    def with_features(self, names) -> SearchData:
        return SearchData(with_features(self.frame, names), self.plan)


@dataclass(frozen=True)
class Segment:
    """One rolling origin on the test split: fit on everything before it, forecast the block after it."""

    origin: pd.Timestamp
    fit: Windows
    test: Windows


@dataclass(frozen=True)
class FinalData:
    """Full series: fit on everything before the test split, score once on it."""

    frame: pd.DataFrame
    plan: SplitPlan

    def search(self) -> SearchData:
        return SearchData(self.frame[self.frame.index < self.plan.test_start], self.plan)

    def fit(self, *, window: int, horizon: int) -> Windows:
        return _between(self.frame, window, horizon, end=self.plan.test_start)

    def test(self, *, window: int, horizon: int) -> Windows:
        return _between(self.frame, window, horizon, start=self.plan.test_start)

    def segments(self, *, window: int, horizon: int, refit_every: int) -> list[Segment]:
        """Rolling origins every ``refit_every`` days from the first test day (0: one static fit).

        The segments' test windows together are exactly :meth:`test`'s, in order."""
        test = self.test(window=window, horizon=horizon)
        if refit_every <= 0 or len(test) == 0:
            return [Segment(self.plan.test_start, self.fit(window=window, horizon=horizon), test)]
        out = []
        for origin in self._origins(test, refit_every):
            block = (test.days >= origin) & (test.days < origin + pd.Timedelta(days=refit_every))
            out.append(Segment(origin, _between(self.frame, window, horizon, end=origin),
                               Windows(test.X[block], test.Y[block], test.days[block])))
        return out

    def origins(self, *, window: int, horizon: int, refit_every: int) -> list[pd.Timestamp]:
        """The first days of :meth:`segments`, without building their training windows."""
        test = self.test(window=window, horizon=horizon)
        if refit_every <= 0 or len(test) == 0:
            return [self.plan.test_start]
        return self._origins(test, refit_every)

    def _origins(self, test: Windows, refit_every: int) -> list[pd.Timestamp]:
        return list(pd.date_range(self.plan.test_start, test.days[-1], freq=f"{refit_every}D"))

    def with_features(self, names) -> FinalData:
        return FinalData(with_features(self.frame, names), self.plan)

    def fit_series(self):
        """Every price before the test split (Hyndman's MASE scale for test scores)."""
        return self.frame["target"][self.frame.index < self.plan.test_start].to_numpy()
