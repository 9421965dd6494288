"""Read a daily price CSV into a daily-indexed frame with a ``target`` column.

Recognised layouts: CoinDesk (``Date,Closing Price (USD),...``), Yahoo Finance
(``Date,Open,High,Low,Close,Adj Close,Volume``), or any CSV when the date and target
columns are named. Every problem becomes a :class:`~data.errors.DataError`.

Example:
    >>> from data.read import read_prices
    >>> frame = read_prices("prices.csv", date_col="day", target_col="close")  # doctest: +SKIP
    >>> list(frame.columns)[:1]  # doctest: +SKIP
    ['target']
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pandas as pd

from data.errors import DataError

# (date column, target column, optional volume column) of the layouts we know by their headers.
KNOWN_LAYOUTS = {
    "coindesk": ("Date", "Closing Price (USD)", None),
    "yahoo": ("Date", "Close", "Volume"),
}


def _detect(header: list[str], path) -> tuple[str, str, str | None]:
    for date_col, target_col, volume_col in KNOWN_LAYOUTS.values():
        if date_col in header and target_col in header:
            return date_col, target_col, volume_col if volume_col in header else None
    if len(header) == 1 and any(sep in header[0] for sep in ";\t|"):
        raise DataError(path, f"only one column found in header {header[0]!r}; the file must be comma-separated")
    raise DataError(
        path,
        f"no usable target column in header {header}; name them with --date-col and --target-col",
    )


def _check_file(path: Path) -> None:
    if not path.exists():
        raise DataError(path, "no such file")
    if path.is_dir():
        raise DataError(path, "is a directory, expected a CSV file")
    if path.stat().st_size == 0:
        raise DataError(path, "file is empty")
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if b"\x00" in head:
        raise DataError(path, "not a CSV file (binary content)")
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as err:
        if err.start < len(head) - 4:  # a cut multi-byte character at the end is fine
            raise DataError(path, "not a CSV file (not UTF-8 text)") from None


def _read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, newline="", encoding="utf-8", errors="replace") as fh:
        rows = [row for row in csv.reader(fh) if row and any(cell.strip() for cell in row)]
    if not rows:
        raise DataError(path, "file is empty")
    header, body = [c.strip() for c in rows[0]], rows[1:]
    if not body:
        raise DataError(path, "header only, no data rows")
    for number, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise DataError(path, f"row {number}: {len(row)} fields, header has {len(header)}")
    return header, body


def _numeric(path: Path, values: pd.Series, column: str, rows: pd.Index, *, positive: bool) -> pd.Series:
    text = values.str.strip()
    numbers = pd.to_numeric(text, errors="coerce")
    blank = text == ""
    nan_literal = text.str.lower().isin(["nan", "na", "null", "none"])
    for mask, what in ((numbers.isna() & ~blank & ~nan_literal, "non-numeric value {!r}"),
                       (blank, "missing value"), (nan_literal | numbers.isna(), "NaN value {!r}")):
        if mask.any():
            i = int(mask.to_numpy().argmax())
            raise DataError(path, f"row {rows[i]}, column {column!r}: " + what.format(values.iloc[i]))
    infinite = numbers.abs() == float("inf")
    if infinite.any():
        i = int(infinite.to_numpy().argmax())
        raise DataError(path, f"row {rows[i]}, column {column!r}: infinite value")
    if positive and (numbers <= 0).any():
        i = int((numbers <= 0).to_numpy().argmax())
        raise DataError(path, f"row {rows[i]}, column {column!r}: price must be positive, got {numbers.iloc[i]}")
    return numbers.astype("float64")


def read_prices(
    path: str | os.PathLike,
    *,
    date_col: str | None = None,
    target_col: str | None = None,
) -> pd.DataFrame:
    """Read and check a price CSV; return a frame indexed by day, sorted ascending.

    Columns: ``target`` (the price to forecast) and ``volume`` when the file has one.
    Gaps in the daily calendar are left in place here; :func:`data.validate.check_calendar`
    decides what to do with them.
    """
    path = Path(path)
    _check_file(path)
    header, body = _read_rows(path)
    if date_col or target_col:
        if not (date_col and target_col):
            raise DataError(path, "give both --date-col and --target-col")
        for col in (date_col, target_col):
            if col not in header:
                raise DataError(path, f"column {col!r} not in header {header}")
        volume_col = None
    else:
        date_col, target_col, volume_col = _detect(header, path)
    raw = pd.DataFrame(body, columns=header, dtype=str)
    rows = pd.RangeIndex(2, len(raw) + 2)  # 1-based file line numbers, header is line 1
    # Yahoo's CSV marks a day without prices as a row of nulls: a missing day, not bad data.
    values = raw.drop(columns=[date_col]).apply(lambda col: col.str.strip().str.lower())
    empty = values.isin(["null", "nan", ""]).all(axis=1).to_numpy()
    if empty.all():
        raise DataError(path, "no prices: every row is null")
    raw, rows = raw[~empty].reset_index(drop=True), rows[~empty]

    dates = pd.to_datetime(raw[date_col].str.strip(), errors="coerce", format="mixed")
    if dates.isna().any():
        i = int(dates.isna().to_numpy().argmax())
        raise DataError(path, f"row {rows[i]}, column {date_col!r}: unparseable date {raw[date_col].iloc[i]!r}")
    dates = dates.dt.tz_localize(None) if dates.dt.tz is not None else dates
    days = dates.dt.normalize()
    dup = days.duplicated()
    if dup.any():
        i = int(dup.to_numpy().argmax())
        raise DataError(path, f"row {rows[i]}: duplicate date {days.iloc[i].date()}")

    frame = pd.DataFrame(
        {"target": _numeric(path, raw[target_col], target_col, rows, positive=True).to_numpy()},
        index=pd.DatetimeIndex(days, name="date"),
    )
    if volume_col:
        frame["volume"] = _numeric(path, raw[volume_col], volume_col, rows, positive=False).to_numpy()
    frame = frame.sort_index()
    frame.attrs.update(source=str(path), null_rows=int(empty.sum()))
    return frame
