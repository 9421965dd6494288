"""Today's prices: ``--data yahoo:SYMBOL[:START]`` downloads daily closes with yfinance.

Each download is kept as a snapshot CSV in the dataset cache, named by the symbol, the start and
the day it was made (``yahoo-BTC-USD-all-2026-12-01.csv``), in Yahoo's own CSV layout, so that it
reads like any file and its sha256 pins a study to it. A later run on the same day reuses the
snapshot; ``--refresh`` downloads again. :func:`download` is the one place that touches the
network (tests replace it); every failure becomes a one-line :class:`~data.errors.DataError`.

Example:
    >>> parse("yahoo:BTC-USD:2018-01-01")
    ('BTC-USD', '2018-01-01')
    >>> snapshot_name("BTC-USD", None, "2026-12-01")
    'yahoo-BTC-USD-all-2026-12-01.csv'
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import re
from pathlib import Path

import pandas as pd

from data.errors import DataError

PREFIX = "yahoo:"
COLUMNS = ("Open", "High", "Low", "Close", "Adj Close", "Volume")
INSTALL = "pip install 'bitpredict-search[yahoo]' (or: pip install yfinance)"


def parse(data: str) -> tuple[str, str | None]:
    """``yahoo:SYMBOL[:START]`` as (symbol, start)."""
    symbol, _, start = data[len(PREFIX):].partition(":")
    if not re.fullmatch(r"[A-Za-z0-9.^=_-]{1,20}", symbol):
        raise DataError(data, "give a Yahoo Finance symbol, e.g. yahoo:BTC-USD or yahoo:BTC-USD:2018-01-01")
    if start:
        try:
            start = str(pd.Timestamp(start).date())
        except ValueError:
            raise DataError(data, f"start {start!r} is not a date (use YYYY-MM-DD)") from None
    return symbol, start or None


def _safe(symbol: str) -> str:
    return re.sub(r"[^A-Za-z0-9.-]", "_", symbol)


def snapshot_name(symbol: str, start: str | None, day: str) -> str:
    return f"yahoo-{_safe(symbol)}-{start or 'all'}-{day}.csv"


def dataset_name(data: str) -> str:
    """The short name studies are named by: ``yahoo-BTC-USD``."""
    return f"yahoo-{_safe(parse(data)[0])}"


def download(symbol: str, start: str | None) -> pd.DataFrame:
    """Daily prices from Yahoo Finance, as yfinance returns them (the network seam)."""
    import yfinance

    return yfinance.Ticker(symbol).history(start=start or "1970-01-01", interval="1d", auto_adjust=False,
                                           raise_errors=True)


def _problem(err: Exception) -> str:
    names = {cls.__name__ for cls in type(err).__mro__}
    text = str(err).splitlines()[0] if str(err) else type(err).__name__
    if names & {"ConnectionError", "Timeout", "DNSError", "SSLError"} or isinstance(err, OSError):
        return f"no network: cannot reach Yahoo Finance ({text[:120]})"
    if names & {"YFTickerMissingError", "YFTzMissingError", "YFPricesMissingError"}:
        return f"unknown symbol or no prices on Yahoo Finance ({text[:120]})"
    if "YFRateLimitError" in names:
        return "Yahoo Finance refused the download (rate limit); try again later"
    return f"download failed ({type(err).__name__}: {text[:120]})"


def _as_csv_layout(raw: pd.DataFrame) -> pd.DataFrame:
    """yfinance's frame (flat or (field, ticker) columns, tz-aware index) in Yahoo's CSV layout."""
    if isinstance(raw.columns, pd.MultiIndex):
        raw = raw.droplevel(-1, axis=1)
    frame = raw[[c for c in COLUMNS if c in raw.columns]].copy()
    index = pd.DatetimeIndex(raw.index)
    frame.index = (index.tz_localize(None) if index.tz is not None else index).normalize().rename("Date")
    return frame


@contextlib.contextmanager
def _quiet(names=("yfinance", "curl_cffi", "peewee")):
    """Their retries and warnings are not the user's to read; their levels are restored afterwards."""
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def today() -> dt.date:
    return dt.date.today()


def snapshot(data: str, cache: Path, *, refresh: bool = False) -> Path:
    """The path of today's snapshot of ``data`` (``yahoo:SYMBOL[:START]``), downloading it if needed."""
    symbol, start = parse(data)
    day = str(today())
    path = Path(cache) / snapshot_name(symbol, start, day)
    if path.is_file() and not refresh:
        return path
    try:
        with _quiet():
            raw = download(symbol, start)
    except ImportError:
        raise DataError(data, f"yfinance is not installed: {INSTALL}") from None
    except Exception as err:  # yfinance, curl and requests raise many types
        raise DataError(data, _problem(err)) from None
    if raw is None or len(raw) == 0:
        raise DataError(data, "empty download: Yahoo Finance returned no prices for this symbol and start")
    frame = _as_csv_layout(raw)
    if "Close" not in frame.columns:
        raise DataError(data, f"the download has no Close column (columns: {list(raw.columns)})")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    frame.to_csv(tmp, na_rep="null", float_format="%.8f")
    tmp.replace(path)  # a snapshot appears whole or not at all
    return path
