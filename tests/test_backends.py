"""One trainer, two backends: the same member, from the same weights, trains alike on TensorFlow
and on JAX; and the backend a study ran on is recorded."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import require

ROOT = Path(__file__).resolve().parents[1]

# Trains one group of two members (two folds) from weights drawn by NumPy, so that neither
# backend's random generator is involved (dropout 0, shuffles from NumPy), and prints its results.
SCRIPT = """
import json, sys
import numpy as np
from data import FinalData, load, make_plan
from search import cli
cli.load_backend()
import spaces
from search.engine.trainer import Member, train_group

frame = load(sys.argv[1])
final = FinalData(frame, make_plan(frame, window=14, horizon=1, test_size=30, val_size=30, folds=2))
folds = final.search().folds(window=14, horizon=1)
out = {}
for family, params in json.loads(sys.argv[2]).items():
    config = {"family": family, "window": 14, "scaler": "logrel", "learning_rate": 1e-3, "batch_size": 64,
              "loss": "mae", "dropout": 0.0, **params}
    start = spaces.build(config, 1, 1)
    rng = np.random.default_rng(0)
    start.set_weights([rng.normal(scale=0.1, size=w.shape).astype("float32") for w in start.get_weights()])
    results = train_group(config, [Member(f.train, f.val, seed=k, start=start) for k, f in enumerate(folds)],
                          epochs=20, eval_every=5)
    out[family] = [[s for _, s in r.history] for r in results]
print(json.dumps(out))
"""
CONFIGS = {"dense": {"layers": 2, "units": 32, "activation": "relu"},
           "lstm": {"layout": "steps", "lstm_layers": 1, "units": 16, "bidirectional": False, "activation": "tanh",
                    "head_units": 0}}


def _train_on(backend: str, data: Path) -> dict[str, list[list[float]]]:
    env = {**os.environ, "KERAS_BACKEND": backend}
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(data), json.dumps(CONFIGS)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_a_member_trains_alike_on_tensorflow_and_jax(btc_short):
    require(importlib.util.find_spec("jax") is not None, "JAX (the jax extra; make test installs it)")
    on_tf, on_jax = _train_on("tensorflow", btc_short), _train_on("jax", btc_short)
    for family in CONFIGS:  # a dense model and an LSTM, two folds each, scored every 5 epochs
        assert [len(h) for h in on_tf[family]] == [len(h) for h in on_jax[family]] == [4, 4]
        for a, b in zip(on_tf[family], on_jax[family], strict=True):
            for x, y in zip(a, b, strict=True):
                assert y == pytest.approx(x, rel=1e-5)  # measured 1e-8: float rounding (the bound asked: 0.5%)
        # They learnt: the scores moved over the 20 epochs, so agreeing is not agreeing on the start.
        assert all(abs(h[-1] - h[0]) > 1e-3 for h in on_tf[family])


def test_a_study_on_jax_records_its_backend_and_its_models_reload(tmp_path, btc_short):
    # The whole job on JAX from the command line: trials, retrain, report; nothing on stderr.
    require(importlib.util.find_spec("jax") is not None, "JAX (the jax extra; make test installs it)")
    import optuna

    storage = f"sqlite:///{tmp_path / 'j.db'}"
    proc = subprocess.run([sys.executable, "-m", "search.run", "--family", "dense", "--backend", "jax", "--trials", "2",
                           "--epochs", "3", "--eval-every", "1", "--data", str(btc_short), "--test-size", "30",
                           "--val-size", "30", "--folds", "1", "--seeds", "1", "--retrain-top", "1",
                           "--refit-every", "0", "--storage", storage, "--study", "j", "--runs", str(tmp_path / "runs")],
                          cwd=ROOT, capture_output=True, text=True, timeout=600, env={**os.environ, "CI": "true"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stderr == ""
    assert "CPU (jax)" in proc.stdout
    trials = optuna.load_study(study_name="j", storage=storage).trials
    assert {t.user_attrs.get("backend") for t in trials} == {"jax"}
    # The retrained model was saved by Keras on JAX; TensorFlow's Keras (this process) reloads it.
    import keras

    saved = sorted((tmp_path / "runs").glob("j/**/*.keras"))
    assert saved, "no .keras file written"
    assert keras.models.load_model(saved[0], compile=False).count_params() > 0
