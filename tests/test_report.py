"""What the user takes home: best config, reports, intervals, forecast, dashboard, in a real browser."""

from __future__ import annotations

import hashlib
import json
import re
import socket
import subprocess
import sys
import time
import urllib.request

import numpy as np
import pandas as pd
import pytest

from search import report, retrain, run
from tests.conftest import inside, summary_of

STUDY = "rep"


@pytest.fixture(scope="module")
def done(tmp_path_factory, btc_short):
    """One small real study, searched, retrained under two protocols, forecast and reported."""
    with inside(tmp_path_factory.mktemp("report")) as where:
        code = run.main(["--family", "dense", "--trials", "5", "--data", str(btc_short), "--study", STUDY,
                         "--epochs", "8", "--eval-every", "2", "--patience", "8", "--seeds", "2",
                         "--retrain-top", "3", "--test-size", "40", "--val-size", "30", "--forecast-days", "10",
                         "--refit-every", "20"])
        assert code == 0
        report.main(["--all"])
    return where


def test_the_files_agree_with_what_retraining_measured(done, btc_short):
    s = summary_of(done, STUDY)
    out = done / "runs" / "reports" / STUDY
    best = json.loads((out / "best_config.json").read_text())
    assert best["recommendation"] == s["recommendation"] and best["identity"] == s["identity"]
    assert [p["key"] for p in best["protocols"]] == ["static", "refit20-warm"]
    assert best["split"]["test_days"] == 40 and best["split"]["test_last_day"] == "2021-05-18"
    assert best["dataset"]["sha256"] == hashlib.sha256(btc_short.read_bytes()).hexdigest()
    assert best["trial"] == s["retrained"][0]["trial"] and best["config"] == s["retrained"][0]["config"]
    assert best["retrain_command"] == "python -m search.retrain --config runs/reports/rep/best_config.json"
    md = (out / "report.md").read_text()
    assert s["verdict"] in md and "seed notebook" not in md  # not the seed's split: no published figure
    for protocol in s["protocols"]:  # every row's test score, as the table prints it
        assert f"## Test split, {protocol['label']}" in md
        for row in protocol["rows"]:
            assert f"| {row['rel_mae']:.4f} " in md and f"| {row['mae']:.2f} " in md
    index = (done / "runs" / "reports" / "index.html").read_text()
    assert f'<a href="{STUDY}/report.html">{STUDY}</a>' in index  # a real link, not Markdown text


def test_every_protocol_scores_the_same_days(done, btc_short):
    s = summary_of(done, STUDY)
    static, rolling = (pd.read_csv(done / "runs" / STUDY / p["table"]) for p in s["protocols"])
    assert list(static["date"]) == list(rolling["date"]) and len(static) == 40
    assert static["date"].min() == s["test_first_day"] and static["date"].max() == s["test_last_day"]
    assert (static["actual"] == rolling["actual"]).all() and (static["naive"] == rolling["naive"]).all()
    # Actual and naive are the file's closes: the day's, and the day before's.
    closes = pd.read_csv(btc_short, usecols=["Date", "Closing Price (USD)"]).set_index("Date")["Closing Price (USD)"]
    closes.index = pd.to_datetime(closes.index).strftime("%Y-%m-%d")
    np.testing.assert_allclose(static["actual"], closes.loc[static["date"]].to_numpy(), rtol=1e-9)
    np.testing.assert_allclose(static["naive"], closes.shift(1).loc[static["date"]].to_numpy(), rtol=1e-9)
    # Rolling refits change the configurations' forecasts (two origins), not naive's.
    name = s["retrained"][0]["name"]
    assert not np.allclose(static[name], rolling[name])


def test_five_short_trials_do_not_displace_the_plain_forecasters(done):
    # Five trials of eight epochs on 400 days learn nothing: a plain forecaster scores lowest on
    # validation, so it is recommended without the guard being asked (its cases: test_evaluation).
    s = summary_of(done, STUDY)
    candidates = s["validation"]["candidates"]
    lowest = min(candidates, key=lambda c: c["val_rel_mae"])
    rec = s["recommendation"]
    assert lowest["kind"] in ("naive", "classical") and rec["name"] == lowest["name"] and rec["rule"] == "spa"
    assert rec["why"] == "it has the lowest validation score"
    assert f"Recommended: **{rec['name']}** (it has the lowest validation score; rule `spa`)" in \
        (done / "runs" / "reports" / STUDY / "report.md").read_text()


def test_classical_validation_scores_match_statsforecast_fitted_directly(done, btc_short):
    # An independent path: fit AutoETS with statsforecast at each fold's origin, forecast every
    # validation day one step ahead, and pool its error over naive's.
    from statsforecast.models import AutoETS

    s = summary_of(done, STUDY)
    prices = pd.read_csv(btc_short)["Closing Price (USD)"].to_numpy()
    n_test, n_val = 40, 30
    model_err = naive_err = 0.0
    for k in range(3):
        origin = len(prices) - n_test - (3 - k) * n_val
        fitted = AutoETS(season_length=1).fit(prices[:origin]).forward(prices[: origin + n_val], h=1, fitted=True)
        days = slice(origin, origin + n_val)
        model_err += np.abs(prices[days] - np.asarray(fitted["fitted"])[days]).sum()
        naive_err += np.abs(prices[days] - prices[origin - 1 : origin + n_val - 1]).sum()
    scored = {c["name"]: c["val_rel_mae"] for c in s["validation"]["candidates"]}
    assert scored["AutoETS"] == pytest.approx(model_err / naive_err, rel=1e-5)


def test_best_config_retrains_to_the_same_test_metrics(done, capsys, monkeypatch):
    monkeypatch.chdir(done)
    path = done / "runs" / "reports" / STUDY / "best_config.json"
    best = json.loads(path.read_text())
    retrain.main(["--config", str(path)])
    again = json.loads(capsys.readouterr().out)
    for metric in ("mae", "mse", "mase", "mape"):
        assert again["mean"][metric] == pytest.approx(best["test"]["mean"][metric], rel=1e-4), metric
    assert again["dm_p"] == pytest.approx(best["test"]["dm_p"], rel=1e-3, abs=1e-6)


def test_intervals_are_calibrated_on_validation_and_measured_on_test(done):
    s = summary_of(done, STUDY)
    iv = s["intervals"]
    assert iv["forecaster"] == s["recommendation"]["name"] and iv["n_calibration"] == 90  # 3 folds of 30 days
    bands = pd.read_csv(done / "runs" / STUDY / iv["csv"])
    assert len(bands) == 40 and (bands["lo95"] > 0).all()  # multiplicative bands stay positive
    for level in iv["levels"]:
        pct = int(round(100 * level["nominal"]))
        inside = ((bands["actual"] >= bands[f"lo{pct}"]) & (bands["actual"] <= bands[f"hi{pct}"])).mean()
        assert level["coverage"] == pytest.approx(inside)  # measured on the test days written beside it
        assert (bands[f"lo{pct}"] < bands["forecast"]).all() and (bands["forecast"] < bands[f"hi{pct}"]).all()
    assert (bands["hi95"] - bands["lo95"] > bands["hi80"] - bands["lo80"]).all()


def test_future_forecast_follows_the_last_day(done, btc_short):
    fc = pd.read_csv(done / "runs" / STUDY / "forecast.csv")
    assert list(fc["date"]) == [str(d.date()) for d in pd.date_range("2021-05-19", periods=10)]
    meta = json.loads((done / "runs" / STUDY / "forecast.json").read_text())
    assert meta["forecaster"] == summary_of(done, STUDY)["recommendation"]["name"]
    last = pd.read_csv(btc_short)["Closing Price (USD)"].iloc[-1]
    assert np.isfinite(fc.to_numpy()[:, 1:].astype(float)).all()
    assert abs(fc["forecast"].iloc[0] / last - 1) < 0.05  # a one-day forecast of a random walk stays near it
    width = fc["hi80"] - fc["lo80"]
    assert (fc["lo80"] < fc["forecast"]).all() and (width.diff().dropna() > 0).all()  # wider every day


def dom_of(chromium, url: str, timeout: float = 90) -> subprocess.CompletedProcess:
    cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
           "--disable-background-networking", "--disable-component-update", "--no-first-run",
           "--enable-logging=stderr", "--v=0", "--virtual-time-budget=15000", "--dump-dom", url]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def test_report_renders_in_headless_chromium(done, chromium):
    page = done / "runs" / "reports" / STUDY / "report.html"
    html = page.read_text()
    assert "<script src=\"http" not in html  # self-contained: plotly.js is inlined
    figures = html.count('class="plotly-graph-div"')
    assert figures >= 9
    proc = dom_of(chromium, page.as_uri())
    # Rendered plots only: an <svg class="main-svg"> element exists once plotly has drawn a figure.
    drawn = len(re.findall(r'<div[^>]*class="[^"]*js-plotly-plot', proc.stdout))
    assert drawn == figures, (drawn, figures)
    assert len(re.findall(r'<svg[^>]*class="main-svg"', proc.stdout)) >= figures
    errors = [line for line in proc.stderr.splitlines() if "Uncaught" in line]
    assert not errors, errors


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_dashboard_lists_the_study_with_its_metric_name(done, chromium):
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "search.dashboard", "--port", str(port)], cwd=done,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}/"
        for _ in range(150):
            try:
                studies = json.loads(urllib.request.urlopen(url + "api/studies", timeout=2).read())
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("dashboard did not start: " + (server.stderr.read() if server.poll() is not None else "timeout"))
        (ours,) = [s for s in studies["study_summaries"] if s["study_name"] == STUDY]
        detail = json.loads(urllib.request.urlopen(f"{url}api/studies/{ours['study_id']}", timeout=5).read())
        assert detail["objective_names"] == ["val_rel_mae"]  # not "Objective 0"
        assert STUDY in dom_of(chromium, url + "dashboard").stdout
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_forecast_paths_of_plain_and_shrunk_recommendations(btc_short, monkeypatch):
    # Independent references: statsforecast fitted directly; a shrunk forecaster is naive plus w
    # times the configuration's move away from naive.
    from statsforecast.models import AutoETS

    from search.reporting import forecast as fc

    frame = pd.read_csv(btc_short, parse_dates=["Date"]).set_index("Date").rename(
        columns={"Closing Price (USD)": "target"})[["target"]]
    last = frame["target"].iloc[-1]
    summary = {"horizon": 1, "retrained": [{"trial": 4, "config": {"window": 7}, "epochs": 3}]}
    ets = fc.path_of({"kind": "classical", "name": "AutoETS"}, frame, horizon=1, days=5, summary=summary)
    np.testing.assert_allclose(ets, AutoETS(season_length=1).fit(frame["target"].to_numpy()).predict(h=5)["mean"])
    assert (fc.path_of({"kind": "naive", "name": "naive"}, frame, horizon=1, days=3, summary=summary) == last).all()
    monkeypatch.setattr(fc, "config_path", lambda config, frame, **kw: last + np.arange(1.0, 6.0) * 100)
    shrunk = fc.path_of({"kind": "shrink", "trial": 4, "weight": 0.25}, frame, horizon=1, days=5, summary=summary)
    np.testing.assert_allclose(shrunk, last + 0.25 * np.arange(1.0, 6.0) * 100)
