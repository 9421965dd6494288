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


ENS = "combined-btc_short-h1"


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
    return json.loads((where / "runs" / "ensembles" / ENS / "retrain.json").read_text())


def test_ensemble_is_selected_on_validation_and_scored_on_test(two_studies):
    s = summary(two_studies)
    rec = s["recommendation"]
    assert s["kind"] == "ensemble" and s["studies"] == ["dense-btc_short-h1", "conv1d-btc_short-h1"]
    assert sum(rec["weights"].values()) == pytest.approx(1.0) and rec["cross_fitted"]
    assert [p["key"] for p in s["protocols"]] == ["static", "refit15-warm"]
    validation = pd.read_csv(two_studies / "runs" / "ensembles" / ENS / s["validation"]["csv"])
    # Cross-fitted: each fold's ensemble forecast uses weights chosen on the other folds, so on a
    # fold it generally differs from the final weights' combination.
    final_weights = sum(w * validation[n] for n, w in rec["weights"].items())
    assert not np.allclose(validation[ENS], final_weights)
    # Whether a plain forecaster beat it on validation is stated, from the candidates' own scores.
    plain = {c["name"]: c["val_rel_mae"] for c in s["validation"]["candidates"] if c["kind"] != "config"}
    assert rec["best_plain"] == min(plain, key=plain.get)
    assert rec["beats_best_plain"] == (rec["val_rel_mae"] < min(plain.values()))
    assert (f"It does not beat {rec['best_plain']} on the validation days" in s["verdict"]) \
        == (not rec["beats_best_plain"])


def test_ensemble_saves_reloads_and_forecasts(two_studies, monkeypatch, capsys):
    from data import DataSpec
    from search.engine.trainer import predict
    from search.evaluation.refit import load_model

    s = summary(two_studies)
    folder = two_studies / "runs" / "ensembles" / ENS
    saved = json.loads((folder / s["ensemble"]).read_text())
    assert saved["recommendation"]["weights"] == s["recommendation"]["weights"]
    static = pd.read_csv(folder / s["protocols"][0]["table"])
    final = DataSpec.from_dict(saved["data"]).final_data(1)
    reloaded = {}
    for member in (m for m in saved["members"] if m["kind"] == "config"):
        test = final.test(window=member["config"]["window"], horizon=1)
        preds = []
        for path in member["models"]:  # reloaded from disk, they forecast what was scored
            model, scaler = load_model(folder / path)
            preds.append(predict(model, scaler, test))
        reloaded[member["name"]] = np.mean(preds, axis=0).ravel()
        np.testing.assert_allclose(reloaded[member["name"]], static[member["name"]], rtol=1e-5)
    # The scored ensemble is the weighted mean of what the saved members and the plain forecasters give.
    rebuilt = sum(w * (reloaded[n] if n in reloaded else static[n]) for n, w in saved["recommendation"]["weights"].items())
    np.testing.assert_allclose(static[ENS], rebuilt, rtol=1e-5)
    monkeypatch.chdir(two_studies)
    assert forecast.main(["--ensemble", ENS, "--days", "3"]) == 0
    out = capsys.readouterr().out
    fc = pd.read_csv(folder / "forecast.csv")
    assert list(fc["date"]) == ["2021-05-19", "2021-05-20", "2021-05-21"] and np.isfinite(fc["forecast"]).all()
    assert (fc["lo95"] < fc["forecast"]).all() and (fc["forecast"] < fc["hi95"]).all() and "ensemble of" in out


def test_the_leaderboard_lists_the_ensemble_beside_its_studies(two_studies):
    proc = subprocess.run([sys.executable, "-m", "search.report", "--all"], cwd=two_studies, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    board = (two_studies / "runs" / "reports" / "leaderboard.md").read_text()
    s = summary(two_studies)
    row = next(line for line in board.splitlines() if f"[{ENS}](ensembles/{ENS}/report.html)" in line)
    ens = next(r for r in s["protocols"][0]["rows"] if r["name"] == ENS)
    assert f"| {ens['rel_mae']:.4f} " in row and "| ensemble " in row
    assert "[dense-btc_short-h1](dense-btc_short-h1/report.html)" in board
    assert (two_studies / "runs" / "reports" / "ensembles" / ENS / "report.html").is_file()


def test_incompatible_or_empty_studies_are_one_line(two_studies, btc_short, capsys, monkeypatch):
    monkeypatch.chdir(two_studies)
    optuna.create_study(study_name="empty", storage="sqlite:///runs/optuna.db")
    for argv, message in (
        (["--studies", "dense-btc_short-h1,empty"], "'empty' has no completed trial"),
        (["--studies", "dense-btc_short-h1", "--name", "conv1d-btc_short-h1"], "is a study's name"),
        (["--studies", "dense-btc_short-h1", "--name", ENS], "holds the results of another ensemble"),
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
