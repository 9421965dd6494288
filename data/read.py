r"""Read a daily price CSV into a daily-indexed frame with a ``target`` column.

Recognised layouts: CoinDesk (``Date,Closing Price (USD),...``), Yahoo Finance
(``Date,Open,High,Low,Close,Adj Close,Volume``), or any CSV when the date and target
columns are named. Every problem becomes a :class:`~data.errors.DataError`.

Dates are ISO (``2021-05-18``), or numeric with the day and month in either order
(``18/05/2021``, ``05.18.2021``): the order is read off the values (a field above 12 is a day),
and a file that leaves it open, or mixes both, is refused with the fix (``--date-format``).

Example:
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "prices.csv"
    >>> _ = path.write_text("day,close\n13/01/2021,101.5\n14/01/2021,99.0\n")
    >>> frame = read_prices(path, date_col="day", target_col="close")
    >>> [str(d.date()) for d in frame.index], frame["target"].tolist()
    (['2021-01-13', '2021-01-14'], [101.5, 99.0])
"""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path

import pandas as pd

from data.errors import DataError

# Prices a float32 network can train on; beyond them squares overflow and every trial fails.
PRICE_RANGE = (1e-9, 1e15)
_NUMERIC_DATE = re.compile(r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{4})$")

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
    low, high = PRICE_RANGE
    if positive and ((numbers < low) | (numbers > high)).any():
        i = int(((numbers < low) | (numbers > high)).to_numpy().argmax())
        raise DataError(path, f"row {rows[i]}, column {column!r}: price {numbers.iloc[i]:g} is outside "
                              f"{low:g} .. {high:g}, too extreme to train on; rescale the column")
    return numbers.astype("float64")


def _date_format(path: Path, text: pd.Series, column: str) -> str | None:
    """The format of numeric day/month dates (None: let pandas read ISO and named formats).

    A field above 12 can only be a day; a file where neither field ever exceeds 12 is ambiguous."""
    parts = text.str.extract(_NUMERIC_DATE)
    if parts.isna().any(axis=None):
        return None
    first, sep, second = parts[0].astype(int), parts[1].iloc[0], parts[2].astype(int)
    day_first, month_first = bool((first > 12).any()), bool((second > 12).any())
    fix = f"write the dates as YYYY-MM-DD, or pass --date-format (e.g. '%d{sep}%m{sep}%Y')"
    if day_first and month_first:
        raise DataError(path, f"column {column!r} mixes day-first and month-first dates; {fix}")
    if not (day_first or month_first):
        raise DataError(path, f"column {column!r}: dates like {text.iloc[0]!r} could be day-first or "
                              f"month-first; {fix}")
    return f"%d{sep}%m{sep}%Y" if day_first else f"%m{sep}%d{sep}%Y"


def _dates(path: Path, raw: pd.Series, column: str, rows: pd.Index, date_format: str | None) -> pd.Series:
    text = raw.str.strip()
    fmt = date_format or _date_format(path, text, column)
    dates = pd.to_datetime(text, errors="coerce", format=fmt or "mixed")
    if dates.isna().any():
        i = int(dates.isna().to_numpy().argmax())
        hint = f" (not {fmt})" if date_format else ""
        raise DataError(path, f"row {rows[i]}, column {column!r}: unparseable date {raw.iloc[i]!r}{hint}")
    return dates.dt.tz_localize(None) if dates.dt.tz is not None else dates


def read_prices(
    path: str | os.PathLike,
    *,
    date_col: str | None = None,
    target_col: str | None = None,
    date_format: str | None = None,
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

    days = _dates(path, raw[date_col], date_col, rows, date_format).dt.normalize()
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
