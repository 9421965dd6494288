"""The naive baseline reproduces the seed's published figures on its own split."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from data import FinalData, load, make_plan, make_windows, with_features
from search.baseline import main as baseline
from search.evaluation.metrics import diebold_mariano, evaluate, mase


def test_seed_naive_figures(btc_path, capsys):
    baseline(["--data", str(btc_path), "--window", "7", "--horizon", "1", "--test-size", "557", "--json"])
    r = json.loads(capsys.readouterr().out)
    assert r["n_test"] == 557
    assert r["mae"] == pytest.approx(567.9802, rel=1e-4)
    assert r["mse"] == pytest.approx(1147547.1, rel=1e-4)
    assert r["mape"] == pytest.approx(2.516525, rel=1e-4)
    assert r["mase"] == pytest.approx(0.99957, rel=1e-4)
    assert {"mae", "mse", "rmse", "mape", "mase", "mase_insample", "n_test"} <= r.keys()


def test_default_split_is_the_seeds(btc_path):
    frame = load(str(btc_path))
    plan = make_plan(frame, window=7, horizon=1)
    sizes = plan.sizes(frame, window=7, horizon=1)
    assert sum(sizes.values()) == 2780
    assert sizes["test"] == 556
    assert sizes["val"] == 278


def test_named_dataset_resolves_from_cache_offline(capsys):
    # conftest points BITPREDICT_DATA_DIR at ../shared/data; the checksum is verified there.
    proc = subprocess.run([sys.executable, "-m", "search.baseline", "--data", "btc"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "2787 days, 2013-10-01 .. 2021-05-18" in proc.stdout
    assert "test 556 (from 2019-11-10)" in proc.stdout


def test_test_days_do_not_depend_on_window(btc_path):
    frame = load(str(btc_path))
    final = FinalData(frame, make_plan(frame, window=7, horizon=1))
    days7 = final.test(window=7, horizon=1).days
    days30 = final.test(window=30, horizon=1).days
    assert days7.equals(days30)
    search = final.search()
    assert search.frame.index[-1] < days7[0]
    assert search.folds(window=30, horizon=1)[-1].val.days[-1] < days7[0]


def test_windows_are_the_series_shifted(btc_path):
    frame = with_features(load(str(btc_path)), ["block_reward"])
    w = make_windows(frame, window=5, horizon=3)
    assert w.X.shape == (2787 - 5 - 3 + 1, 5, 2)
    prices = frame["target"].to_numpy()
    i = 100
    np.testing.assert_array_equal(w.X[i, :, 0], prices[i : i + 5])
    np.testing.assert_array_equal(w.Y[i], prices[i + 5 : i + 8])
    assert w.days[i] == frame.index[i + 5]
    # block reward halves on 2016-07-09 and 2020-05-11
    assert set(np.unique(w.X[..., 1])) == {25.0, 12.5, 6.25}


def test_metrics_by_hand():
    y = np.array([[10.0], [12.0], [11.0], [15.0]])
    p = np.array([[11.0], [12.0], [13.0], [14.0]])
    r = evaluate(y, p, train_series=[1.0, 2.0, 4.0])
    assert r["mae"] == pytest.approx(1.0)
    assert r["mse"] == pytest.approx(1.5)
    assert r["mase"] == pytest.approx(1.0 / ((2 + 1 + 4) / 3))
    assert r["mase_insample"] == pytest.approx(1.0 / 1.5)
    assert r["mape"] == pytest.approx(100 * np.mean([0.1, 0, 2 / 11, 1 / 15]))
    assert mase(y[:, 0], y[:, 0]) == 0.0


def test_diebold_mariano_detects_a_real_gain_and_not_a_fake_one():
    rng = np.random.default_rng(0)
    y = rng.normal(size=500).cumsum()
    good = y + rng.normal(scale=0.5, size=500)
    bad = y + rng.normal(scale=1.0, size=500)
    stat, p = diebold_mariano(y, good, bad)
    assert stat < 0 and p < 1e-6
    # Equal accuracy: the test must reject about 5% of the time, not more.
    rejections = sum(
        diebold_mariano(y, y + rng.normal(scale=0.5, size=500), y + rng.normal(scale=0.5, size=500))[1] < 0.05
        for _ in range(400)
    )
    assert 0.02 <= rejections / 400 <= 0.08
    stat_h, p_h = diebold_mariano(y, good, bad, horizon=3, loss="sq")
    assert stat_h < 0 and p_h < 0.01
