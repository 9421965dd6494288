"""Series-level checks that need the whole calendar: gaps and length."""

from __future__ import annotations

import pandas as pd

from data.errors import DataError


def check_calendar(frame: pd.DataFrame, *, fill_gaps: bool = False) -> tuple[pd.DataFrame, int]:
    """Return ``(frame, n_filled)``; a gap in the daily calendar is an error unless ``fill_gaps``.

    Filling carries the last price forward, the only fill that invents no information.
    """
    source = frame.attrs.get("source", "<data>")
    full = pd.date_range(frame.index[0], frame.index[-1], freq="D", name="date")
    missing = full.difference(frame.index)
    if len(missing) == 0:
        return frame, 0
    if not fill_gaps:
        raise DataError(
            source,
            f"{len(missing)} missing day(s) in the daily calendar, first {missing[0].date()}; "
            "pass --fill-gaps to forward-fill them",
        )
    filled = frame.reindex(full).ffill()
    filled.attrs = dict(frame.attrs)
    return filled, len(missing)


def check_length(frame: pd.DataFrame, *, needed: int, why: str) -> None:
    """Raise a DataError saying how many rows are needed when the series is too short."""
    if len(frame) < needed:
        raise DataError(
            frame.attrs.get("source", "<data>"),
            f"series too short: {len(frame)} rows, {needed} needed for {why}",
        )
