"""What the user takes home: best config, reports, intervals, forecast, dashboard, in a real browser."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import numpy as np
import pandas as pd
import pytest

from search import report, retrain, run

STUDY = "rep"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def done(tmp_path_factory, btc_short):
    """One small real study, searched, retrained, forecast and reported."""
    where = tmp_path_factory.mktemp("report")
    old = os.getcwd()
    os.chdir(where)
    try:
        code = run.main(["--family", "dense", "--trials", "4", "--data", str(btc_short), "--study", STUDY,
                         "--epochs", "8", "--eval-every", "2", "--patience", "8", "--seeds", "2",
                         "--retrain-top", "2", "--test-size", "40", "--val-size", "40", "--forecast-days", "10"])
        assert code == 0
        report.main(["--all"])
    finally:
        os.chdir(old)
    return where


def test_files_have_the_documented_keys(done):
    out = done / "runs" / "reports" / STUDY
    best = json.loads((out / "best_config.json").read_text())
    assert {"study", "family", "horizon", "config", "dataset", "split", "validation", "test", "naive",
            "versions", "retrain_command", "verdict"} <= best.keys()
    assert {"sha256", "data", "name"} <= best["dataset"].keys()
    assert best["dataset"]["sha256"] and len(best["dataset"]["sha256"]) == 64
    assert best["split"]["test_days"] == 40
    assert {"tensorflow", "keras", "optuna", "numpy"} <= best["versions"].keys()
    assert best["retrain_command"].startswith("python -m search.retrain --config ")
    md = (out / "report.md").read_text()
    for text in ("naive (same test days)", "published, chosen on test", "DM p", "Prediction intervals",
                 "Stress test", best["verdict"]):
        assert text in md
    page = (out / "report.html").read_text()
    assert "<script src=\"http" not in page and "plotly" in page.lower()  # self-contained
    assert len(page) > 1_000_000  # plotly.js is embedded, so it works offline
    index = (done / "runs" / "reports" / "index.html").read_text()
    assert f"{STUDY}/report.html" in index
    assert STUDY in (done / "runs" / "reports" / "leaderboard.md").read_text()


def test_best_config_retrains_to_the_same_test_metrics(done, capsys, monkeypatch):
    monkeypatch.chdir(done)
    path = done / "runs" / "reports" / STUDY / "best_config.json"
    best = json.loads(path.read_text())
    retrain.main(["--config", str(path)])
    again = json.loads(capsys.readouterr().out)
    for metric in ("mae", "mse", "mase", "mape"):
        assert again["mean"][metric] == pytest.approx(best["test"]["mean"][metric], rel=1e-4), metric
    assert again["dm_p"] == pytest.approx(best["test"]["dm_p"], rel=1e-3, abs=1e-6)


def test_interval_coverage_is_measured_on_the_test_split(done):
    summary = json.loads((done / "runs" / STUDY / "retrain.json").read_text())
    run_dir = done / "runs" / STUDY
    iv = pd.read_csv(run_dir / summary["intervals"]["csv"])
    pred = pd.read_csv(run_dir / summary["retrained"][0]["predictions"])
    assert list(iv["date"]) == list(pred["date"])  # the test days, no others
    assert iv["date"].min() >= summary["split"]["test_start"]
    for level in summary["intervals"]["levels"]:
        pct = int(round(level["nominal"] * 100))
        inside = (iv["actual"] >= iv[f"lo{pct}"]) & (iv["actual"] <= iv[f"hi{pct}"])
        assert level["coverage"] == pytest.approx(inside.mean())
    seed = summary["intervals"]["seed_band"]
    assert seed["coverage"] == pytest.approx(((iv["actual"] >= iv["seed_lo95"]) & (iv["actual"] <= iv["seed_hi95"])).mean())
    assert summary["intervals"]["n_calibration"] == 40  # calibrated on validation windows


def test_future_forecast_follows_the_last_day(done):
    fc = pd.read_csv(done / "runs" / STUDY / "forecast.csv")
    assert len(fc) == 10
    assert fc["date"].iloc[0] == "2021-05-19"
    assert (fc["lo95"] <= fc["lo80"]).all() and (fc["lo80"] <= fc["forecast"]).all()
    assert (fc["forecast"] <= fc["hi80"]).all() and (fc["hi80"] <= fc["hi95"]).all()
    widths = ((fc["hi95"] - fc["lo95"]) / fc["forecast"]).to_numpy()
    assert np.all(np.diff(widths) >= -1e-9)  # recursive passes widen the (relative) band, never narrow it
    assert (done / "runs" / "reports" / STUDY / "forecast.html").stat().st_size > 1_000_000


def test_stress_test_moves_the_scores(done):
    st = json.loads((done / "runs" / STUDY / "retrain.json").read_text())["stress"]
    assert st["turkey_price"] == pytest.approx(st["price"] / 100)
    assert st["model"]["turkey"]["mae"] > st["model"]["normal"]["mae"]
    assert st["naive"]["turkey"]["mae"] > st["naive"]["normal"]["mae"]


def chromium(*args: str, timeout: float = 90) -> subprocess.CompletedProcess:
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
           "--enable-logging=stderr", "--v=0", "--virtual-time-budget=15000", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_report_renders_in_headless_chromium(done):
    page = done / "runs" / "reports" / STUDY / "report.html"
    proc = chromium("--dump-dom", page.as_uri())
    dom = proc.stdout
    assert dom.count('class="js-plotly-plot"') + dom.count("js-plotly-plot") >= 8
    assert dom.count("main-svg") >= 8  # plotly drew its SVG layers
    errors = [line for line in proc.stderr.splitlines() if "Uncaught" in line or "CONSOLE" in line and "rror" in line]
    assert not errors, errors
    shot = done / "runs" / "report.png"
    chromium(f"--screenshot={shot}", "--window-size=1200,2400", page.as_uri())
    assert shot.is_file() and shot.stat().st_size > 10_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_dashboard_lists_the_study(done):
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "search.dashboard", "--port", str(port)], cwd=done,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}/"
        for _ in range(100):
            try:
                studies = json.loads(urllib.request.urlopen(url + "api/studies", timeout=2).read())
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("dashboard did not start: " + server.stderr.read() if server.poll() is not None else "timeout")
        assert STUDY in {s["study_name"] for s in studies["study_summaries"]}
        proc = chromium("--dump-dom", url + "dashboard")
        assert STUDY in proc.stdout
        chromium(f"--screenshot={done / 'runs' / 'dashboard.png'}", "--window-size=1200,800", url + "dashboard")
    finally:
        server.terminate()
        server.wait(timeout=10)
