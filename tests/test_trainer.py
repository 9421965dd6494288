"""The compiled trainer does what Keras ``fit`` does, scores validation inside its compiled chunk,
and the benchmark reports the figures its JSON contract names."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

import spaces
from data import FinalData, load, make_plan
from search import bench
from search.metrics import mase
from search.trainer import fit_scaler, predict, train

CONFIG = {"family": "dense", "window": 7, "scaler": "logrel", "learning_rate": 1e-3, "batch_size": 1024,
          "loss": "mae", "dropout": 0.0, "layers": 2, "units": 32, "activation": "relu"}


@pytest.fixture(scope="module")
def windows(btc_short):
    frame = load(str(btc_short))
    search = FinalData(frame, make_plan(frame, window=7, horizon=1, test_size=60, val_size=60)).search()
    return search.train(window=7, horizon=1), search.val(window=7, horizon=1)


def test_one_batch_epochs_match_keras_fit(windows):
    # With one batch per epoch, shuffling cannot matter: the fused Adam loop and Keras' fit must
    # arrive at the same weights from the same start.
    train_w, val_w = windows
    assert len(train_w) <= CONFIG["batch_size"]
    keras.utils.set_random_seed(0)
    reference = spaces.build(CONFIG, 1, 1)
    ours = spaces.build(CONFIG, 1, 1)
    ours.set_weights(reference.get_weights())
    scaler = fit_scaler(CONFIG, train_w)
    reference.compile(optimizer=keras.optimizers.Adam(CONFIG["learning_rate"]), loss="mae")
    reference.fit(scaler.x(train_w.X), scaler.y(train_w.Y, train_w.X), batch_size=CONFIG["batch_size"],
                  epochs=30, verbose=0, shuffle=True)
    train(ours, CONFIG, train_w, None, epochs=30)
    for a, b in zip(reference.get_weights(), ours.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-4)
    ref_mase = mase(val_w.Y, predict(reference, scaler, val_w))
    assert mase(val_w.Y, predict(ours, scaler, val_w)) == pytest.approx(ref_mase, rel=1e-3)
    keras.backend.clear_session()


def test_compiled_validation_scores_the_kept_weights(windows):
    train_w, val_w = windows
    keras.utils.set_random_seed(1)
    model = spaces.build({**CONFIG, "batch_size": 64}, 1, 1)
    result = train(model, {**CONFIG, "batch_size": 64}, train_w, val_w, epochs=12, eval_every=3)
    assert [epoch for epoch, _ in result.history] == [3, 6, 9, 12]
    # The score computed inside the compiled chunk is the one predict() gives for the weights kept.
    assert mase(val_w.Y, predict(model, result.scaler, val_w)) == pytest.approx(result.best_val_mase, rel=1e-5)
    assert result.best_val_mase == min(score for _, score in result.history)
    keras.backend.clear_session()


def test_bench_json_has_the_documented_figures(btc_short, capsys):
    assert bench.main(["--only", "trainer", "--only", "pruning", "--family", "dense", "--configs", "1",
                       "--epochs", "3", "--trials", "3", "--pruning-epochs", "10", "--pruning-seeds", "1", "--data", str(btc_short),
                       "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    dense = out["trainer"]["dense"]
    assert dense["ratio"] == pytest.approx(dense["trials_per_min"] / dense["reference_trials_per_min"])
    assert dense["val_mase"] > 0 and dense["reference_val_mase"] > 0
    pruning = out["pruning"]
    assert 0 < pruning["epochs_pruned"] <= pruning["epochs_unpruned"] <= 3 * 10
    assert pruning["best_pruned"] > 0 and pruning["best_unpruned"] > 0
