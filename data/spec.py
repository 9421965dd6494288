"""Which data a study uses and how it is split: stored with the study, so it can be rebuilt anywhere.

Example:
    >>> spec = DataSpec(data="truth:random_walk:1", folds=3)
    >>> final = spec.final_data(horizon=1)
    >>> len(final.frame), str(final.plan.test_start.date())
    (2787, '2019-11-10')
    >>> DataSpec.from_dict({**spec.to_dict(), "unknown": 1}) == spec
    True
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

from data.datasets import load
from data.errors import DataError
from data.split import DEFAULT_TEST_SIZE, DEFAULT_VAL_SIZE, REFERENCE_WINDOW, FinalData, make_plan


@dataclass(frozen=True)
class DataSpec:
    data: str = "btc"
    date_col: str | None = None
    target_col: str | None = None
    date_format: str | None = None
    fill_gaps: bool = False
    test_size: float = DEFAULT_TEST_SIZE
    val_size: float = DEFAULT_VAL_SIZE
    folds: int = 1  # a plain split; a study stores the folds it declares
    until: str | None = None

    @classmethod
    def from_dict(cls, stored: dict) -> DataSpec:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in stored.items() if k in known})

    def to_dict(self) -> dict:
        return asdict(self)

    def frame(self, *, refresh: bool = False):
        return load(self.data, date_col=self.date_col, target_col=self.target_col, date_format=self.date_format,
                    fill_gaps=self.fill_gaps, until=self.until, refresh=refresh)

    def final_data(self, horizon: int, *, sha256: str | None = None, refresh: bool = False) -> FinalData:
        """The full series and its split; ``sha256`` (a study's) must match the data read."""
        frame = self.frame(refresh=refresh)
        if sha256 and frame.attrs["sha256"] != sha256:
            raise DataError(self.data, "the data changed since the study was created (sha256 differs); start a "
                                       "new study with --study NAME, or point --data at the old file")
        plan = make_plan(frame, window=REFERENCE_WINDOW, horizon=horizon, test_size=self.test_size,
                         val_size=self.val_size, folds=self.folds)
        return FinalData(frame, plan)

    def pinned(self, final: FinalData) -> DataSpec:
        """The spec a study stores: a download (``yahoo:``) is pinned to the snapshot file it read."""
        source = final.frame.attrs["source"]
        return replace(self, data=source) if final.frame.attrs.get("origin", "").startswith("yahoo:") else self
