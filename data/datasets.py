"""Named datasets, fetched once with a checksum into a local cache.

The cache is ``$BITPREDICT_DATA_DIR`` when set (tests point it at a folder holding the file,
so no test touches the network), else Keras' own ``~/.keras/datasets``. The download uses the
standard library only: a first run loads no TensorFlow before its data is in place.
"""

from __future__ import annotations

import hashlib
import os
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from data import truth, yahoo
from data.errors import DataError
from data.read import read_prices
from data.validate import check_calendar


@dataclass(frozen=True)
class Dataset:
    name: str
    filename: str
    origin: str
    sha256: str


DATASETS = {
    "btc": Dataset(
        name="btc",
        filename="BTC_USD_2013-10-01_2021-05-18-CoinDesk.csv",
        origin=(
            "https://raw.githubusercontent.com/mrdbourke/tensorflow-deep-learning/main/extras/"
            "BTC_USD_2013-10-01_2021-05-18-CoinDesk.csv"
        ),
        sha256="865dc9835cc911b79ee8fad1b7dbbf70100f684b4a1911394b30b72a8880906a",
    ),
}


def sha256_of(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def cache_dir() -> Path:
    env = os.environ.get("BITPREDICT_DATA_DIR")
    return Path(env) if env else Path.home() / ".keras" / "datasets"


def download(url: str, dest: Path) -> None:
    """Copy ``url`` to ``dest`` (the one place that touches the network; tests replace it).

    On a terminal, a progress line is redrawn on stderr; through a pipe nothing is printed."""
    show = sys.stderr.isatty()
    with urllib.request.urlopen(url, timeout=60) as response, open(dest, "wb") as out:
        total, done = int(response.headers.get("Content-Length") or 0), 0
        while chunk := response.read(1 << 16):
            out.write(chunk)
            done += len(chunk)
            if show:
                of = f" of {total / 1e3:.0f}" if total else ""
                print(f"\rdownloading {dest.name}: {done / 1e3:.0f}{of} kB", end="", file=sys.stderr, flush=True)
    if show:
        print(file=sys.stderr, flush=True)


def _reason(err: Exception) -> str:
    reason = getattr(err, "reason", None) or err
    return f"{type(reason).__name__}: {reason}" if not isinstance(reason, str) else reason


def fetch(name: str) -> Path:
    """Path of the named dataset's file, downloading it (checksum-verified) if not cached."""
    ds = DATASETS[name]
    cached = cache_dir() / ds.filename
    if cached.is_file():
        if sha256_of(cached) != ds.sha256:
            raise DataError(cached, "cached file has the wrong sha256; delete it to download again")
        return cached
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise DataError(cached.parent, f"cannot create the dataset cache ({err.strerror or err})") from None
    tmp = cached.with_name(f".{cached.name}.part")
    try:
        download(ds.origin, tmp)
        if sha256_of(tmp) != ds.sha256:
            raise DataError(ds.origin, "the downloaded file has the wrong sha256; try again later")
        tmp.replace(cached)  # the cache holds a whole, verified file or none
    except (urllib.error.URLError, OSError, ValueError) as err:
        raise DataError(ds.origin, f"download failed, no network? ({_reason(err)})") from None
    finally:
        tmp.unlink(missing_ok=True)
    return cached


def load(
    data: str = "btc",
    *,
    date_col: str | None = None,
    target_col: str | None = None,
    date_format: str | None = None,
    fill_gaps: bool = False,
    until: str | None = None,
    refresh: bool = False,
) -> pd.DataFrame:
    """Load a named dataset, today's prices (``yahoo:SYMBOL[:START]``), a series of known truth
    (``truth:KIND[:SEED]``, :mod:`data.truth`) or a CSV path, checked and on a full daily calendar.

    ``until`` (a date) keeps the rows up to and including that day, so a user can stand at any
    past day; ``refresh`` downloads a Yahoo snapshot again. ``frame.attrs`` records ``source``
    (the file read), ``origin`` (what was asked for), ``dataset`` (short name used in study
    names), ``sha256`` (of the whole file), ``filled_days`` and ``until``.
    """
    if data.startswith(truth.PREFIX):
        kind, seed, days = truth.parse(data)
        frame, dataset = truth.generate(kind, seed, n=days), truth.dataset_name(data)
        digest = frame.attrs["sha256"]
    else:
        if data.startswith(yahoo.PREFIX):
            path, dataset = yahoo.snapshot(data, cache_dir(), refresh=refresh), yahoo.dataset_name(data)
        else:
            path = fetch(data) if data in DATASETS else Path(data)
            dataset = data if data in DATASETS else path.stem
        frame = read_prices(path, date_col=date_col, target_col=target_col, date_format=date_format)
        digest = sha256_of(path)
    frame, filled = check_calendar(frame, fill_gaps=fill_gaps)
    if until is not None:
        frame = cut_until(frame, until)
    frame.attrs.update(origin=data, dataset=dataset, sha256=digest, filled_days=filled, until=until)
    return frame


def cut_until(frame: pd.DataFrame, until: str) -> pd.DataFrame:
    """The rows up to and including ``until``; a date outside the data is an error."""
    source = frame.attrs.get("source", "<data>")
    try:
        day = pd.Timestamp(until)
    except ValueError:
        raise DataError(source, f"--until {until!r} is not a date (use YYYY-MM-DD)") from None
    first, last = frame.index[0], frame.index[-1]
    if not first <= day <= last:
        raise DataError(source, f"--until {day.date()} is outside the data ({first.date()} .. {last.date()})")
    cut = frame[frame.index <= day]
    cut.attrs = dict(frame.attrs)
    return cut
