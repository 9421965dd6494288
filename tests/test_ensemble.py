"""Ensembles across studies: greedy selection on validation, members retrained and scored on test,
saved and reloaded, forecast with; incompatible studies refused in one line."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import optuna
import pandas as pd
import pytest

from search import ensemble, forecast, run
from search.evaluation.ensemble import greedy_weights
from tests.conftest import inside

STUDY = ["--trials", "3", "--epochs", "4", "--eval-every", "2", "--seeds", "2", "--retrain-top", "1",
         "--test-size", "30", "--val-size", "30", "--refit-every", "15", "--no-report"]


def test_greedy_selection_improves_on_every_single_candidate():
    rng = np.random.default_rng(0)
    y = 100 + rng.normal(size=(500, 1)).cumsum(axis=0)
    naive = np.r_[y[:1], y[:-1]]
    signal = (y - naive) * 0.5
    forecasts = {"naive": naive, "a": naive + signal + rng.normal(scale=0.6, size=y.shape),
                 "b": naive + signal + rng.normal(scale=0.6, size=y.shape), "bad": naive - signal}
    weights = greedy_weights(y, forecasts, naive=naive)
    assert "bad" not in weights and weights.keys() >= {"a", "b"}
    assert sum(weights.values()) == pytest.approx(1.0)
    combined = sum(w * forecasts[n] for n, w in weights.items())
    assert np.abs(y - combined).sum() < min(np.abs(y - f).sum() for f in forecasts.values())


@pytest.fixture(scope="module")
def two_studies(tmp_path_factory, btc_short):
    with inside(tmp_path_factory.mktemp("ensemble")) as where:
        for family in ("dense", "conv1d"):
            assert run.main(["--family", family, "--data", str(btc_short), *STUDY]) == 0
        assert ensemble.main(["--studies", "dense-btc_short-h1,conv1d-btc_short-h1", "--top", "3", "--seeds", "2",
                              "--refit-every", "15"]) == 0
    return where


def summary(where) -> dict:
    return json.loads((where / "runs" / "ensemble-btc_short-h1" / "retrain.json").read_text())


def test_ensemble_is_selected_on_validation_and_scored_on_test(two_studies):
    s = summary(two_studies)
    rec = s["recommendation"]
    assert sum(rec["weights"].values()) == pytest.approx(1.0)
    assert rec["cross_fitted"] and rec["val_rel_mae_selected_on"] <= min(
        c["val_rel_mae"] for c in s["validation"]["candidates"]) + 1e-12  # greedy never ends worse than its start
    assert [p["key"] for p in s["protocols"]] == ["static", "refit15-warm"]
    for p in s["protocols"]:
        table = pd.read_csv(two_studies / "runs" / "ensemble-btc_short-h1" / p["table"])
        combined = sum(w * table[name] for name, w in rec["weights"].items())
        np.testing.assert_allclose(table["ensemble-btc_short-h1"], combined, rtol=1e-6)
        names = {r["name"] for r in p["rows"]}
        assert {"naive", "AutoETS", "ensemble-btc_short-h1"} <= names and set(p["mcs"]["members"]) <= names


def test_ensemble_saves_reloads_and_forecasts(two_studies, monkeypatch, capsys):
    from data import FinalData, load, make_plan
    from search.engine.trainer import predict
    from search.evaluation.refit import load_model

    s = summary(two_studies)
    saved = json.loads((two_studies / "runs" / "ensemble-btc_short-h1" / s["ensemble"]).read_text())
    assert saved["recommendation"]["weights"] == s["recommendation"]["weights"]
    static = pd.read_csv(two_studies / "runs" / "ensemble-btc_short-h1" / s["protocols"][0]["table"])
    spec = saved["data"]
    frame = load(spec["data"])
    final = FinalData(frame, make_plan(frame, window=7, horizon=1, test_size=spec["test_size"],
                                       val_size=spec["val_size"], folds=spec["folds"]))
    for member in (m for m in saved["members"] if m["kind"] == "config"):
        test = final.test(window=member["config"]["window"], horizon=1)
        preds = []
        for path in member["models"]:  # reloaded from disk, they forecast what was scored
            model, scaler = load_model(two_studies / "runs" / "ensemble-btc_short-h1" / path)
            preds.append(predict(model, scaler, test))
        np.testing.assert_allclose(np.mean(preds, axis=0).ravel(), static[member["name"]], rtol=1e-5)
    monkeypatch.chdir(two_studies)
    assert forecast.main(["--ensemble", "ensemble-btc_short-h1", "--days", "3"]) == 0
    out = capsys.readouterr().out
    assert "2021-05-19" in out and "ensemble of" in out


def test_the_leaderboard_lists_the_ensemble(two_studies):
    proc = subprocess.run([sys.executable, "-m", "search.report", "--all"], cwd=two_studies, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    board = (two_studies / "runs" / "reports" / "leaderboard.md").read_text()
    assert "[ensemble-btc_short-h1](ensemble-btc_short-h1/report.html)" in board
    assert (two_studies / "runs" / "reports" / "ensemble-btc_short-h1" / "report.html").is_file()


def test_incompatible_or_empty_studies_are_one_line(two_studies, btc_short, capsys, monkeypatch):
    monkeypatch.chdir(two_studies)
    optuna.create_study(study_name="empty", storage="sqlite:///runs/optuna.db")
    for argv, message in (
        (["--studies", "dense-btc_short-h1,empty"], "'empty' has no completed trial"),
        (["--studies", "dense-btc_short-h1,nosuch"], "no study 'nosuch'"),
        (["--dataset", "nothing"], "no study of dataset 'nothing'"),
    ):
        with pytest.raises(SystemExit) as exc:
            ensemble.main(argv)
        assert exc.value.code == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("error: ") and message in err and "\n" not in err, err
    # Another horizon forecasts other days: refused.
    assert run.main(["--family", "dense", "--data", str(btc_short), "--horizon", "2", "--study", "h2", *STUDY,
                     "--no-retrain"]) == 0
    capsys.readouterr()
    with pytest.raises(SystemExit):
        ensemble.main(["--studies", "dense-btc_short-h1,h2"])
    err = capsys.readouterr().err.strip()
    assert "studies 'dense-btc_short-h1' and 'h2' differ in horizon (1 vs 2)" in err
