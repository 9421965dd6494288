"""Every family: sampled configurations build, train and give (batch, H); models save and reload."""

from __future__ import annotations

import json

import keras
import keras_tuner as kt
import numpy as np
import optuna
import pytest

import spaces
from data import FinalData, load, make_plan
from search.engine.kt_engine import SpaceTuner
from search.engine.trainer import predict, train
from spaces.space import Choice, Float, Int, Space

FAMILIES = list(spaces.families())
SAMPLES = 6  # per adapter: each compiles its own model, the slowest part of the suite


@pytest.fixture(scope="module")
def short_data(btc_short):
    frame = load(str(btc_short))
    return FinalData(frame, make_plan(frame, window=7, horizon=7, test_size=30, val_size=30)).search()


def small(config: dict) -> dict:
    """One batch per epoch keeps the largest sampled models (90 N-BEATS blocks) quick on two cores."""
    return {**config, "batch_size": 512}


def check_trains(config: dict, search, horizon: int) -> np.ndarray:
    data = search.with_features(spaces.features(config))
    fold = data.folds(window=config["window"], horizon=horizon)[-1]
    result = train(small(config), fold.train, None, epochs=2)
    pred = predict(result.model, result.scaler, fold.val)
    assert pred.shape == (len(fold.val), horizon)
    assert result.model.output_shape == (None, horizon)
    keras.backend.clear_session()
    return pred


@pytest.mark.slow
@pytest.mark.parametrize("family", FAMILIES)
def test_sampled_configs_build_train_and_shape(family, short_data, tmp_path):
    # SAMPLES configurations from Optuna's adapter ...
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    optuna_configs = []
    for i in range(SAMPLES):
        trial = study.ask()
        config = spaces.sample_optuna(family, trial)
        optuna_configs.append(config)
        check_trains(config, short_data, horizon=1 if i % 2 else 7)
        study.tell(trial, 1.0)
    # ... and SAMPLES from keras-tuner's oracle through the same declaration.
    horizons = iter([1, 7] * SAMPLES)
    oracle = kt.oracles.RandomSearchOracle(objective=kt.Objective("score", "min"), max_trials=SAMPLES, seed=1)
    tuner = SpaceTuner(family, score=lambda c, _: {"score": float(np.isfinite(check_trains(c, short_data, next(horizons))).all())},
                       epochs=2, oracle=oracle, directory=str(tmp_path), project_name=family, overwrite=True)
    tuner.search(verbose=0)
    assert len(tuner.configs) == SAMPLES
    for config in optuna_configs + tuner.configs:
        assert json.loads(json.dumps(config)) == config  # configurations are plain JSON
        assert config["family"] == family
        assert 7 <= config["window"] <= 90
    # Random sampling explores: not every configuration is the same.
    assert len({json.dumps(c, sort_keys=True) for c in optuna_configs}) == SAMPLES
    assert len({json.dumps(c, sort_keys=True) for c in tuner.configs}) > 1


@pytest.mark.parametrize("family", FAMILIES)
def test_model_saves_and_reloads_with_identical_predictions(family, tmp_path):
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=3))
    config = spaces.sample_optuna(family, study.ask())
    n_features = 1 + len(spaces.features(config))
    model = spaces.build(config, n_features, 3)
    X = np.random.default_rng(0).uniform(100, 200, size=(16, config["window"], n_features)).astype("float32")
    before = np.asarray(model(X))
    path = tmp_path / f"{family}.keras"
    model.save(path)
    reloaded = keras.models.load_model(path)
    np.testing.assert_array_equal(np.asarray(reloaded(X)), before)


def test_seed_nbeats_preset_is_the_seeds_model():
    model = spaces.build(spaces.preset("seed-nbeats"), 1, 1)
    blocks = [layer for layer in model.layers if type(layer).__name__ == "NBeatsBlock"]
    assert len(blocks) == 30
    assert all(b.n_layers == 4 and b.width == 512 for b in blocks)
    assert model.count_params() == 23_885_040


def test_presets_are_points_of_their_spaces():
    # Every active parameter of a preset lies inside its declared range (FixedTrial only warns).
    for name in spaces.preset_names():
        config = spaces.preset(name)
        space = spaces.space(config["family"])
        active = [p for p in space if p.active(config)]
        assert {p.name for p in active} <= config.keys(), name
        for p in active:
            value = config[p.name]
            if isinstance(p, Choice):
                assert value in p.values, (name, p.name, value)
            else:
                assert p.low <= value <= p.high, (name, p.name, value)


def test_the_seed_reads_its_window_as_one_timestep():
    # Seed models 4 and 5 expand_dims the window to (1, W): one timestep of W features.
    for name, layer in (("seed-conv1d", "conv1d"), ("seed-lstm", "lstm")):
        model = spaces.build(spaces.preset(name), 1, 1)
        first = next(x for x in model.layers if x.name.startswith(layer))
        assert tuple(first.input.shape) == (None, 1, 7), name
    keras.backend.clear_session()


def test_conditional_parameters_exist_only_when_active():
    space = Space([Int("layers", 1, 3), Choice("head", ("flatten", "pool")),
                   Float("gap", 0.0, 1.0, when=("head", ("pool",)))])
    assert "gap" not in space.sample_optuna(optuna.trial.FixedTrial({"layers": 1, "head": "flatten"}))
    assert space.sample_optuna(optuna.trial.FixedTrial({"layers": 1, "head": "pool", "gap": 0.5}))["gap"] == 0.5
    mv = spaces.space("multivariate").sample_optuna(optuna.trial.FixedTrial(
        {k: v for k, v in spaces.preset("seed-multivariate").items() if k not in ("family", "epochs", "patience")}))
    assert not any(k.startswith(("lstm.", "conv1d.")) for k in mv)
    with pytest.raises(ValueError, match="not declared before it"):
        Space([Float("gap", 0, 1, when=("head", ("pool",))), Choice("head", ("pool",))])


def test_ensemble_members_have_their_own_losses_and_spread():
    config = spaces.preset("seed-ensemble")
    assert spaces.ensemble.member_losses(config) == ["mae", "mse", "mape"] * 5
    model = spaces.build(config, 1, 2)
    X = np.random.default_rng(0).uniform(100, 200, size=(8, 7, 1)).astype("float32")
    members = spaces.ensemble.member_predictions(model, X)
    assert members.shape == (8, 15, 2)
    np.testing.assert_allclose(np.median(members, axis=1), np.asarray(model(X)), rtol=1e-5)


TOY = '''"""A toy family: a linear map of the window (one module and one study file make a family)."""

from spaces.shared import SEED_SETTINGS
from spaces.space import Choice, Space

SPACE = Space([Choice("bias", (True, False))])


def build(config, n_features, horizon):
    import keras

    inputs = keras.Input((config["window"], n_features))
    flat = keras.layers.Flatten()(inputs)
    return keras.Model(inputs, keras.layers.Dense(horizon, use_bias=config["bias"])(flat), name="toy")


# No bias: the enqueued preset is then a model with a single weight tensor, which the grouped trainer
# once failed to split.
PRESETS = {"toy-linear": {**SEED_SETTINGS, "family": "toy", "window": 7, "bias": False, "scaler": "logrel"}}
SEED_PRESET = "toy-linear"
GROUP_SIZE = 2
'''


def test_a_family_is_one_module_and_one_study_file(tmp_path, monkeypatch, btc_short):
    import studies
    from search import run
    from tests.conftest import inside, summary_of

    (tmp_path / "toy.py").write_text(TOY)
    (tmp_path / "toy.toml").write_text('family = "toy"\ntrials = 3\n')
    monkeypatch.setattr(spaces, "__path__", [*spaces.__path__, str(tmp_path)])
    monkeypatch.setattr(studies, "PATHS", [*studies.PATHS, tmp_path])
    assert "toy" in spaces.families() and "toy" in studies.families()
    assert spaces.group_size(spaces.preset("toy-linear"), gpu=False) == 2
    with inside(tmp_path):
        assert run.main(["--family", "toy", "--data", str(btc_short), "--epochs", "3", "--eval-every", "1",
                         "--seeds", "1", "--test-size", "30", "--val-size", "30", "--refit-every", "0",
                         "--forecast-days", "2"]) == 0
    summary = summary_of(tmp_path, "toy-btc_short-h1")
    assert summary["family"] == "toy" and len(summary["retrained"]) >= 1 and "seed_published" not in summary
    assert summary["retrained"][0]["config"]["family"] == "toy"
    assert (tmp_path / "runs" / "reports" / "toy-btc_short-h1" / "report.html").is_file()
