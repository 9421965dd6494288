"""Today's data without the network: the download is replaced by a frame cut from the CoinDesk file
into the shape yfinance returns, and every failure a user meets is one line."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import optuna
import pandas as pd
import pytest

from data import load, yahoo
from data.datasets import sha256_of
from search import baseline, forecast, run

REAL_DOWNLOAD = yahoo.download  # the seam, before any test replaces it
FAST = ["--epochs", "2", "--eval-every", "1", "--seeds", "1", "--retrain-top", "1", "--test-size", "30",
        "--val-size", "30", "--refit-every", "0", "--trials", "2", "--folds", "1"]


def yfinance_frame(btc_path, days: int, end: str | None = None) -> pd.DataFrame:
    """CoinDesk closes in yfinance's Ticker.history(auto_adjust=False) shape: tz-aware index."""
    frame = load(str(btc_path))
    if end:
        frame = frame[frame.index <= end]
    close = frame["target"].iloc[-days:]
    out = pd.DataFrame({"Open": close, "High": close * 1.01, "Low": close * 0.99, "Close": close,
                        "Adj Close": close, "Volume": 1e9, "Dividends": 0.0, "Stock Splits": 0.0})
    out.index = pd.DatetimeIndex(close.index).tz_localize("UTC").rename("Date")
    return out


@pytest.fixture
def yahoo_cache(tmp_path, monkeypatch, btc_path):
    """A private cache, a fixed 'today', and a download that counts its calls."""
    monkeypatch.setenv("BITPREDICT_DATA_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(yahoo, "today", lambda: dt.date(2021, 5, 18))
    calls = []

    def fake(symbol, start):
        calls.append((symbol, start))
        return yfinance_frame(btc_path, 400, end=str(yahoo.today()))

    monkeypatch.setattr(yahoo, "download", fake)
    return calls


def test_a_snapshot_is_cached_per_day_and_refreshed_on_demand(yahoo_cache, tmp_path):
    frame = load("yahoo:BTC-USD")
    path = tmp_path / "cache" / "yahoo-BTC-USD-all-2021-05-18.csv"
    assert frame.attrs["source"] == str(path) and frame.attrs["dataset"] == "yahoo-BTC-USD"
    assert len(frame) == 400 and frame.index[-1] == pd.Timestamp("2021-05-18")
    assert frame.attrs["sha256"] == sha256_of(path)
    load("yahoo:BTC-USD")
    assert len(yahoo_cache) == 1  # the same day reuses the snapshot
    load("yahoo:BTC-USD", refresh=True)
    assert len(yahoo_cache) == 2
    load("yahoo:BTC-USD:2020-01-01")
    assert yahoo_cache[-1] == ("BTC-USD", "2020-01-01")


def test_a_study_records_its_snapshot_and_refuses_changed_data(yahoo_cache, tmp_path, btc_path, monkeypatch, capsys):
    assert run.main(["--family", "dense", "--data", "yahoo:BTC-USD", "--no-report", *FAST]) == 0
    study = optuna.load_study(study_name="dense-yahoo-BTC-USD-h1", storage="sqlite:///runs/optuna.db")
    snapshot = tmp_path / "cache" / "yahoo-BTC-USD-all-2021-05-18.csv"
    assert study.user_attrs["data"]["data"] == str(snapshot)
    assert study.user_attrs["sha256"] == sha256_of(snapshot)
    # The next day brings a new snapshot: resuming on it is refused, and the line says what to do.
    monkeypatch.setattr(yahoo, "today", lambda: dt.date(2021, 5, 19))
    monkeypatch.setattr(yahoo, "download", lambda symbol, start: yfinance_frame(btc_path, 399, end="2021-05-18")
                        .iloc[1:])
    with pytest.raises(SystemExit) as exc:
        run.main(["--family", "dense", "--data", "yahoo:BTC-USD", "--no-report", *FAST])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert "exists with sha256" in err and "--study NAME" in err and f"--data {snapshot}" in err
    # Keeping the old snapshot resumes the study.
    assert run.main(["--family", "dense", "--data", str(snapshot), "--study", "dense-yahoo-BTC-USD-h1",
                     "--no-report", *FAST]) == 0


def test_forecast_from_newer_data(yahoo_cache, btc_path, monkeypatch, capsys):
    cut = btc_path  # the study is made on data up to 2021-05-08, the forecast from data up to 2021-05-18
    monkeypatch.setattr(yahoo, "today", lambda: dt.date(2021, 5, 8))
    monkeypatch.setattr(yahoo, "download", lambda s, start: yfinance_frame(cut, 400, end="2021-05-08"))
    assert run.main(["--family", "dense", "--data", "yahoo:BTC-USD", *FAST, "--forecast-days", "3"]) == 0
    capsys.readouterr()
    monkeypatch.setattr(yahoo, "today", lambda: dt.date(2021, 5, 18))
    monkeypatch.setattr(yahoo, "download", lambda s, start: yfinance_frame(cut, 400, end="2021-05-18"))
    assert forecast.main(["--study", "dense-yahoo-BTC-USD-h1", "--data", "yahoo:BTC-USD", "--days", "3"]) == 0
    capsys.readouterr()
    meta = json.loads(Path("runs/dense-yahoo-BTC-USD-h1/forecast.json").read_text())
    assert meta["last_day"] == "2021-05-18"
    fc = pd.read_csv("runs/dense-yahoo-BTC-USD-h1/forecast.csv")
    assert list(fc["date"]) == ["2021-05-19", "2021-05-20", "2021-05-21"]
    last = load(str(btc_path))["target"].iloc[-1]  # the newer data's last close, not the study's
    assert abs(fc["forecast"].iloc[0] / last - 1) < 0.05 and (fc["lo80"] < fc["forecast"]).all()
    summary = json.loads(Path("runs/dense-yahoo-BTC-USD-h1/retrain.json").read_text())
    if summary["recommendation"]["kind"] == "naive":
        assert (fc["forecast"] == pytest.approx(last)).all()


def error_line(capsys, argv) -> str:
    with pytest.raises(SystemExit) as exc:
        baseline.main([*argv, "--json"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and err.startswith("error: "), err
    return err


def test_download_failures_are_one_line(yahoo_cache, monkeypatch, capsys, btc_path):
    from curl_cffi.requests.exceptions import DNSError
    from yfinance.exceptions import YFTzMissingError

    def raising(err):
        def download(symbol, start):
            raise err
        return download

    monkeypatch.setattr(yahoo, "download", raising(DNSError("Could not resolve host: query2.finance.yahoo.com")))
    assert "yahoo:BTC-USD: no network: cannot reach Yahoo Finance" in error_line(capsys, ["--data", "yahoo:BTC-USD"])
    monkeypatch.setattr(yahoo, "download", raising(YFTzMissingError("NOPE-USD")))
    assert "unknown symbol" in error_line(capsys, ["--data", "yahoo:NOPE-USD"])
    monkeypatch.setattr(yahoo, "download", lambda s, start: pd.DataFrame())
    assert "empty download" in error_line(capsys, ["--data", "yahoo:BTC-USD"])
    monkeypatch.setattr(yahoo, "download", lambda s, start: yfinance_frame(btc_path, 400).drop(
        index=yfinance_frame(btc_path, 400).index[100:103]))
    err = error_line(capsys, ["--data", "yahoo:GAPS-USD"])
    assert "3 missing day(s)" in err and "--fill-gaps" in err
    assert baseline.main(["--data", "yahoo:GAPS-USD", "--fill-gaps", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["filled_days"] == 3
    assert "give a Yahoo Finance symbol" in error_line(capsys, ["--data", "yahoo:"])


def test_missing_yfinance_says_how_to_install(yahoo_cache, monkeypatch, capsys):
    monkeypatch.setattr(yahoo, "download", REAL_DOWNLOAD)
    monkeypatch.setitem(sys.modules, "yfinance", None)  # `import yfinance` now raises ImportError
    err = error_line(capsys, ["--data", "yahoo:BTC-USD"])
    assert "yfinance is not installed: pip install" in err


HEADER = "Date,Open,High,Low,Close,Adj Close,Volume"


def yahoo_csv(tmp_path, nulls: dict[int, str]) -> str:
    days = pd.date_range("2020-03-01", periods=60)
    rows = [f"{d.date()},{100 + i},{101 + i},{99 + i},{100 + i},{100 + i},{1000 + i}" for i, d in enumerate(days)]
    for i, row in nulls.items():
        rows[i] = row.format(day=days[i].date())
    path = tmp_path / "yahoo.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    return str(path)


def test_yahoo_null_rows_are_missing_days(tmp_path, capsys):
    path = yahoo_csv(tmp_path, {20: "{day},null,null,null,null,null,null", 21: "{day},null,null,null,null,null,null"})
    err = error_line(capsys, ["--data", path])
    assert f"error: {path}: 2 missing day(s) in the daily calendar, first 2020-03-21" in err and "--fill-gaps" in err
    assert baseline.main(["--data", path, "--fill-gaps", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["filled_days"] == 2 and out["rows"] == 60
    one = yahoo_csv(tmp_path, {20: "{day},120,121,119,null,120,1020"})
    assert "row 22, column 'Close': NaN value 'null'" in error_line(capsys, ["--data", one, "--fill-gaps"])
