"""What the user takes home: best config, reports, intervals, forecast, dashboard, in a real browser."""

from __future__ import annotations

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
from tests.conftest import inside

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


def summary_of(done) -> dict:
    return json.loads((done / "runs" / STUDY / "retrain.json").read_text())


def test_files_have_the_documented_keys(done):
    out = done / "runs" / "reports" / STUDY
    best = json.loads((out / "best_config.json").read_text())
    assert {"study", "family", "horizon", "recommendation", "protocols", "config", "dataset", "split",
            "validation", "test", "naive", "versions", "retrain_command", "verdict"} <= best.keys()
    assert [p["key"] for p in best["protocols"]] == ["static", "refit20-warm"]
    assert len(best["dataset"]["sha256"]) == 64 and best["split"]["test_days"] == 40
    assert best["retrain_command"].startswith("python -m search.retrain --config ")
    md = (out / "report.md").read_text()
    for text in ("Recommendation, chosen on validation only", "Test split, static fit",
                 "Test split, refit every 20 days (warm start)", "AutoETS", "in MCS", "Prediction intervals",
                 "Stress test", best["verdict"]):
        assert text in md
    assert "published, chosen on test" not in md and "seed notebook" not in md  # not the seed's split
    index = (done / "runs" / "reports" / "index.html").read_text()
    assert f'<a href="{STUDY}/report.html">{STUDY}</a>' in index  # a real link, not Markdown text


def test_every_protocol_scores_the_same_days(done):
    s = summary_of(done)
    static, rolling = (pd.read_csv(done / "runs" / STUDY / p["table"]) for p in s["protocols"])
    assert list(static["date"]) == list(rolling["date"]) and len(static) == 40
    assert static["date"].min() == s["test_first_day"] and static["date"].max() == s["test_last_day"]
    assert (static["actual"] == rolling["actual"]).all() and (static["naive"] == rolling["naive"]).all()
    # Rolling refits change the configurations' forecasts (two origins), not naive's.
    name = s["retrained"][0]["name"]
    assert not np.allclose(static[name], rolling[name])
    # A DM p of 1 and a relative MAE of 1 belong to naive alone (or a copy of it).
    for p in s["protocols"]:
        rel = {r["name"]: r["rel_mae"] for r in p["rows"]}
        assert rel["naive"] == 1.0
        assert set(p["mcs"]["members"]) <= set(rel)


def test_recommendation_is_the_best_on_validation(done):
    s = summary_of(done)
    candidates = s["validation"]["candidates"]
    val = {c["name"]: c["val_rel_mae"] for c in candidates}
    rec = s["recommendation"]
    plain = [c["val_rel_mae"] for c in candidates if c["kind"] not in ("config", "shrink", "ensemble")]
    if rec["kind"] in ("config", "shrink", "ensemble"):
        # A searched winner displaces the plain ones only with a significant win on validation.
        assert rec["val_rel_mae"] == min(val.values()) and "significantly" in rec["why"]
    else:
        assert rec["val_rel_mae"] == min(plain)
        assert rec["val_rel_mae"] == min(val.values()) or "not significantly better" in rec["why"]
    table = pd.read_csv(done / "runs" / STUDY / s["validation"]["csv"])
    # The classical candidates' scores are their pooled error over naive's on these days.
    for name in ("AutoETS", "AutoTheta", "AutoARIMA"):
        pooled = (table[name] - table["actual"]).abs().sum() / (table["naive"] - table["actual"]).abs().sum()
        assert val[name] == pytest.approx(pooled, rel=1e-4)
    assert sorted(table["fold"].unique()) == [0, 1, 2] and len(table) == 90


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
    s = summary_of(done)
    iv = s["intervals"]
    assert iv["forecaster"] == s["recommendation"]["name"]
    assert iv["n_calibration"] == 90  # three folds of 30 validation days
    val = pd.read_csv(done / "runs" / STUDY / s["validation"]["csv"])
    residuals = np.sort(np.abs(val["actual"] / val[iv["forecaster"]] - 1))
    for level in iv["levels"]:  # the ceil(91 * level)-th smallest validation error
        k = int(np.ceil(91 * level["nominal"]))
        assert level["relative_halfwidth"][0] == pytest.approx(residuals[k - 1])


def test_future_forecast_follows_the_last_day(done):
    fc = pd.read_csv(done / "runs" / STUDY / "forecast.csv")
    assert len(fc) == 10
    assert list(fc["date"]) == [str(d.date()) for d in pd.date_range("2021-05-19", periods=10)]
    meta = json.loads((done / "runs" / STUDY / "forecast.json").read_text())
    assert meta["forecaster"] == summary_of(done)["recommendation"]["name"]


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
