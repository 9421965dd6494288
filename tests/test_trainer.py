"""The one trainer: it does what Keras ``fit`` does, a group of members gives each one what it
would get alone, and validation is scored inside the compiled chunk."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

import spaces
from data import FinalData, load, make_plan
from search import bench
from search.engine.trainer import GroupError, Member, predict, train, train_group
from search.evaluation.metrics import mase

CONFIG = {"family": "dense", "window": 7, "scaler": "logrel", "learning_rate": 1e-3, "batch_size": 1024,
          "loss": "mae", "dropout": 0.0, "layers": 2, "units": 32, "activation": "relu"}


@pytest.fixture(scope="module")
def folds(btc_short):
    """Three walk-forward folds: 277, 307 and 337 training windows, so their batch counts differ."""
    frame = load(str(btc_short))
    final = FinalData(frame, make_plan(frame, window=7, horizon=1, test_size=30, val_size=30, folds=3))
    return final.search().folds(window=7, horizon=1)


def test_one_batch_epochs_match_keras_fit(folds):
    # With one batch per epoch, shuffling cannot matter: the masked Adam loop and Keras' fit must
    # arrive at the same weights from the same start.
    train_w, val_w = folds[-1].train, folds[-1].val
    assert len(train_w) <= CONFIG["batch_size"]
    ours = train(CONFIG, train_w, None, seed=0, epochs=30)
    keras.utils.set_random_seed(0)
    reference = spaces.build(CONFIG, 1, 1)  # the same seed gives the same first weights
    reference.compile(optimizer=keras.optimizers.Adam(CONFIG["learning_rate"]), loss="mae")
    scaler = ours.scaler
    reference.fit(scaler.x(train_w.X), scaler.y(train_w.Y, train_w.X), batch_size=CONFIG["batch_size"],
                  epochs=30, verbose=0, shuffle=True)
    for a, b in zip(reference.get_weights(), ours.model.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-4)
    ref_mase = mase(val_w.Y, predict(reference, scaler, val_w))
    assert mase(val_w.Y, predict(ours.model, scaler, val_w)) == pytest.approx(ref_mase, rel=1e-3)
    keras.backend.clear_session()


def test_compiled_validation_scores_the_kept_weights(folds):
    config = {**CONFIG, "batch_size": 64}
    r = train(config, folds[0].train, folds[0].val, seed=1, epochs=12, eval_every=3)
    assert [epoch for epoch, _ in r.history] == [3, 6, 9, 12]
    # The score computed inside the compiled chunk is the one predict() gives for the weights kept.
    assert mase(folds[0].val.Y, predict(r.model, r.scaler, folds[0].val)) == pytest.approx(r.best_val_mase, rel=1e-5)
    keras.backend.clear_session()


@pytest.mark.parametrize("mode", ["branches", "vectorized"])
def test_each_member_of_a_group_trains_as_it_would_alone(folds, mode):
    # Members differ in data (three folds of 277/307/337 windows: 5, 5 and 6 batches of 64, so
    # the shorter ones sit out steps) and in seed, and one uses dropout (its own random stream).
    config = {**CONFIG, "batch_size": 64, "dropout": 0.1}
    members = [Member(f.train, f.val, seed=s) for f, s in zip(folds, (3, 4, 5), strict=True)]
    alone = []
    for m in members:
        alone.append(train_group(config, [m], epochs=12, patience=6, eval_every=3, mode=mode)[0])
        keras.backend.clear_session()
    together = train_group(config, members, epochs=12, patience=6, eval_every=3, mode=mode)
    for a, b in zip(alone, together, strict=True):
        assert b.best_epoch == a.best_epoch and b.epochs == a.epochs
        assert b.best_val_mase == pytest.approx(a.best_val_mase, rel=1e-3 if mode == "vectorized" else 1e-6)
        np.testing.assert_allclose(b.val_forecast, a.val_forecast, rtol=1e-3 if mode == "vectorized" else 1e-6)
    keras.backend.clear_session()


def test_a_member_without_a_batch_does_not_move():
    # One window against 200: the short member has one batch per epoch, the long one 4. If the
    # short member's Adam ran on the steps it sits out (a zero gradient still moves Adam's weights),
    # its result would differ from training it alone.
    rng = np.random.default_rng(0)
    import pandas as pd

    from data import Windows

    def windows(n):
        X = 100 + rng.normal(size=(n, 7, 1)).cumsum(axis=1)
        return Windows(X, X[:, -1:, 0] + rng.normal(size=(n, 1)), pd.date_range("2020-01-01", periods=n))

    short, long = windows(30), windows(200)
    config = {**CONFIG, "scaler": "minmax", "batch_size": 64}
    alone = train(config, short, None, seed=0, epochs=5)
    together = train_group(config, [Member(short, None, 0), Member(long, None, 1)], epochs=5)[0]
    for a, b in zip(alone.model.get_weights(), together.model.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    keras.backend.clear_session()


def test_bad_groups_are_refused(folds):
    with pytest.raises(GroupError, match="at least one member"):
        train_group(CONFIG, [], epochs=1)
    from data import Windows

    w = folds[0].train
    wider = Windows(np.concatenate([w.X, w.X], axis=1), w.Y, w.days)  # 14 days against 7
    with pytest.raises(GroupError, match="differ in window"):
        train_group(CONFIG, [Member(w), Member(wider)], epochs=1)
    with pytest.raises(GroupError, match="unknown mode"):
        train_group(CONFIG, [Member(w)], epochs=1, mode="parallel")


def test_bench_batched_part_agrees_member_by_member(btc_short, capsys):
    assert bench.main(["--only", "batched", "--family", "dense", "--groups", "2", "--batched-epochs", "4",
                       "--data", str(btc_short), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)["batched"]
    (run,) = out["runs"]
    assert run["group"] == 2 and len(run["val_mase_batched"]) == 2
    # Same seeds and data, trained alone and as a group: the same scores.
    np.testing.assert_allclose(run["val_mase_batched"], run["val_mase_one_by_one"], rtol=1e-5)
    assert set(out["peak_rss_mb"]) == {"1", "2"}


def test_bench_groups_only_times_each_size_twice_to_the_same_models(btc_short, capsys):
    # The accelerator's part: no one-by-one runs; the second pass of a size trains the same models.
    assert bench.main(["--only", "batched", "--groups-only", "--mode", "default", "--family", "dense",
                       "--groups", "1", "3", "--batched-epochs", "3", "--data", str(btc_short)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[2] for line in lines[1:]] == ["G=1", "G=3"]
    assert "x G=1)" in lines[2] and "median val MASE" in lines[2]
    from search.bench.batched import bench_groups
    from search.bench.common import search_data

    out = bench_groups(search_data(str(btc_short)), ["dense"], [2], 3, None)
    (row,) = out["runs"]
    assert len(row["val_mase_first"]) == 2 and row["first_s"] > 0 and row["again_s"] > 0
    np.testing.assert_allclose(row["val_mase_again"], row["val_mase_first"], rtol=1e-6)


def test_a_warm_start_begins_from_the_earlier_models_weights(folds):
    # With a learning rate too small to move anything, one warm epoch returns the starting weights.
    first = train(CONFIG, folds[0].train, None, seed=0, epochs=5)
    still = {**CONFIG, "learning_rate": 1e-12}
    warm = train_group(still, [Member(folds[1].train, None, seed=9, start=first.model)], epochs=1)[0]
    for a, b in zip(first.model.get_weights(), warm.model.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)
    cold = train_group(still, [Member(folds[1].train, None, seed=9)], epochs=1)[0]
    assert not all(np.allclose(a, b) for a, b in zip(first.model.get_weights(), cold.model.get_weights(), strict=True))
    keras.backend.clear_session()


def test_warm_refits_in_one_group_equal_refits_started_one_after_another(btc_short):
    # Three origins, two seeds, dropout: one compiled group for every origin gives what a new group
    # warm-started from the previous origin's model gives, origin after origin.
    from search.engine.trainer import train_stages

    frame = load(str(btc_short))
    final = FinalData(frame, make_plan(frame, window=7, horizon=1, test_size=60, val_size=30, folds=1))
    segments = final.segments(window=7, horizon=1, refit_every=20)
    config = {**CONFIG, "batch_size": 64, "dropout": 0.1}
    epochs = [10, 2, 2]
    together = []
    train_stages(config, [[Member(s.fit, None, seed) for seed in (0, 1)] for s in segments], epochs=epochs,
                 each=lambda k, rs: together.append([predict(r.model, r.scaler, segments[k].test) for r in rs]))
    keras.backend.clear_session()
    previous = {}
    for k, seg in enumerate(segments):
        results = train_group(config, [Member(seg.fit, None, seed, start=previous.get(seed)) for seed in (0, 1)],
                              epochs=epochs[k])
        for seed, r in zip((0, 1), results, strict=True):
            np.testing.assert_allclose(predict(r.model, r.scaler, seg.test), together[k][seed], rtol=1e-4)
            previous[seed] = r.model
    assert len(together) == 3 and len(together[0][0]) == 20
    keras.backend.clear_session()


def test_a_diverging_member_stops_alone(folds):
    # Two seeds, one of them with a learning rate that overflows: the other trains as it would alone.
    w = folds[0].train
    wild = {**CONFIG, "scaler": "none", "loss": "mse", "learning_rate": 1e30}
    results = train_group(wild, [Member(w, None, seed=0), Member(w, None, seed=1)], epochs=3)
    assert all(r.diverged for r in results)  # both blow up: each says so, neither raises
    calm = train_group(CONFIG, [Member(w, None, seed=0)], epochs=3)[0]
    assert calm.diverged is None and np.isfinite(calm.train_loss)
    keras.backend.clear_session()


def test_building_a_member_leaves_the_global_random_state_alone(folds):
    import random

    before = random.random(), np.random.random()
    random.seed(11)
    np.random.seed(11)
    expected = random.random(), np.random.random()
    random.seed(11)
    np.random.seed(11)
    train(CONFIG, folds[0].train, None, seed=5, epochs=1)
    assert (random.random(), np.random.random()) == expected != before
    keras.backend.clear_session()
