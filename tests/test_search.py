"""The search end to end on a short real series: studies, walk-forward folds, pruning, resume,
failures, short data, and a test split the objective never receives."""

from __future__ import annotations

import json

import numpy as np
import optuna
import pandas as pd
import pytest

import spaces
from data import FinalData, SealedSplitError, SearchData, load, make_plan
from search import run
from search.engine.objective import Objective
from studies import load_study_spec

FAST = ["--epochs", "6", "--eval-every", "2", "--patience", "4", "--seeds", "1", "--retrain-top", "1",
        "--test-size", "30", "--val-size", "30", "--no-report", "--refit-every", "0"]


def storage_url(tmp_path):
    return f"sqlite:///{tmp_path / 'studies.db'}"


def trials_of(tmp_path, name):
    return optuna.load_study(study_name=name, storage=storage_url(tmp_path)).get_trials()


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # runs/ is written under the test's folder


# N-BEATS' seed preset (24M weights, 120 dense layers) took 119 s to 1,047 s of this test on the same
# machine kind, most of it system time; its preset is built and checked in test_spaces, its sampled
# configurations train there, and its study's CPU limit is tested below.
@pytest.mark.slow
@pytest.mark.parametrize("family", [f for f in spaces.families() if f != "nbeats"])
def test_four_trial_study_of_each_family(family, tmp_path, btc_short, capsys):
    # The seed presets are large (the LSTM's 70k weights train for seconds an epoch); the first trial is the preset.
    code = run.main(["--family", family, "--trials", "4", "--data", str(btc_short),
                     "--storage", storage_url(tmp_path), "--study", f"{family}-t", "--seed", "1", *FAST])
    assert code == 0
    out = capsys.readouterr().out
    trials = trials_of(tmp_path, f"{family}-t")
    assert len(trials) == 4
    assert trials[0].user_attrs["preset"] == spaces.seed_preset(family)
    complete = [t for t in trials if t.state.name == "COMPLETE"]
    assert complete, out
    for t in complete:
        assert len(t.user_attrs["fold_scores"]) == 3  # the study's declared folds
        assert 1 <= t.user_attrs["best_epoch"] <= t.user_attrs["epochs"] <= 6
    summary = json.loads((tmp_path / "runs" / f"{family}-t" / "retrain.json").read_text())
    assert summary["n_test"] == 30 and summary["folds"] == 3
    names = {r["name"] for r in summary["protocols"][0]["rows"]}
    assert {"naive", "AutoETS", "AutoTheta", "AutoARIMA", f"trial {summary['retrained'][0]['trial']}"} <= names
    assert summary["recommendation"]["name"] in names
    assert summary["verdict"] in out


def test_pooled_score_is_the_folds_total_error_over_naives(tmp_path, btc_short):
    # The objective's value is the total absolute error of its validation forecasts over naive's, on
    # the 90 days before the last 30 (test), with the file's own closes as actual and naive.
    run.main(["--family", "dense", "--trials", "2", "--data", str(btc_short), "--storage", storage_url(tmp_path),
              "--study", "pool", "--no-retrain", "--epochs", "4", "--eval-every", "2", "--test-size", "30",
              "--val-size", "30", "--pruner", "none"])
    from search.engine.artifacts import artifact_store, validation_table

    raw = pd.read_csv(btc_short)
    closes = raw["Closing Price (USD)"].to_numpy()
    days = pd.to_datetime(raw["Date"]).to_numpy()[-120:-30]
    store = artifact_store(tmp_path / "runs" / "artifacts")
    for trial in trials_of(tmp_path, "pool"):
        table = validation_table(trial, store)
        assert sorted(table["fold"].unique()) == [0, 1, 2]
        assert (table["date"].to_numpy() == days).all()
        assert table["actual"].to_numpy() == pytest.approx(closes[-120:-30])
        assert table["naive"].to_numpy() == pytest.approx(closes[-121:-31])
        pooled = np.abs(table["forecast"] - closes[-120:-30]).sum() / np.abs(closes[-120:-30] - closes[-121:-31]).sum()
        assert trial.value == pytest.approx(pooled, rel=1e-5)
        per_fold = [(g["forecast"] - g["actual"]).abs().sum() / (g["naive"] - g["actual"]).abs().sum()
                    for _, g in table.groupby("fold")]
        assert trial.user_attrs["fold_scores"] == pytest.approx(per_fold, rel=1e-5)


def test_pruning_happens_in_a_study_built_to_prune(tmp_path, btc_short, capsys):
    # Median pruner after 5 startup trials, random sampling over the dense space: weak trials are cut.
    run.main(["--family", "dense", "--trials", "14", "--data", str(btc_short), "--storage", storage_url(tmp_path),
              "--study", "prune", "--pruner", "median", "--sampler", "random", "--epochs", "20", "--eval-every", "2",
              "--patience", "20", "--no-retrain", "--test-size", "30", "--val-size", "30", "--folds", "2"])
    pruned = [t for t in trials_of(tmp_path, "prune") if t.state.name == "PRUNED"]
    assert pruned
    assert all(t.user_attrs["epochs"] < 20 for t in pruned)
    # A pruned trial's score is its last fold's, labelled so: not comparable with a pooled one.
    lines = [line for line in capsys.readouterr().out.splitlines() if " PRUNED " in line]
    assert len(lines) == len(pruned) and all("last fold " in line and "val rel. MAE" not in line for line in lines)


def test_resume_adds_trials_to_the_same_study(tmp_path, btc_short, capsys):
    args = ["--family", "dense", "--data", str(btc_short), "--storage", storage_url(tmp_path), "--study", "resume",
            "--no-retrain", "--epochs", "4", "--eval-every", "2", "--test-size", "30", "--val-size", "30"]
    run.main([*args, "--trials", "2"])
    run.main([*args, "--trials", "3"])
    trials = trials_of(tmp_path, "resume")
    assert [t.number for t in trials] == [0, 1, 2, 3, 4]
    assert "2 earlier trials" in capsys.readouterr().out
    assert sum(t.user_attrs.get("preset") is not None for t in trials) == 1  # the preset is enqueued once
    with pytest.raises(SystemExit) as exc:  # another number of folds is another split: refused
        run.main([*args, "--trials", "1", "--folds", "2"])
    assert exc.value.code == 2
    assert "exists with split" in capsys.readouterr().err


def test_nan_trial_fails_and_the_study_goes_on(tmp_path, btc_short, capsys):
    study_args = ["--family", "dense", "--data", str(btc_short), "--storage", storage_url(tmp_path),
                  "--study", "nan", "--epochs", "4", "--eval-every", "2", "--test-size", "30", "--val-size", "30"]
    run.main([*study_args, "--trials", "1", "--no-retrain"])  # creates the study (the preset runs)
    study = optuna.load_study(study_name="nan", storage=storage_url(tmp_path))
    # A learning rate of 1e30 on raw prices with MSE overflows to inf/NaN at once.
    names = {p.name for p in spaces.space("dense")}
    study.enqueue_trial({**{k: v for k, v in spaces.preset("seed-dense-w7").items() if k in names},
                         "learning_rate": 1e30, "loss": "mse"})
    run.main([*study_args, "--trials", "3", "--no-retrain"])
    trials = trials_of(tmp_path, "nan")
    assert len(trials) == 4
    failed = trials[1]
    assert failed.state.name == "FAIL" and failed.params["learning_rate"] == 1e30
    assert "became" in failed.user_attrs["fail_reason"]
    assert [t.state.name for t in trials[2:]].count("FAIL") == 0  # the study went on
    assert "FAIL" in capsys.readouterr().out


def test_search_data_cannot_hold_a_test_day(btc_short):
    frame = load(str(btc_short))
    final = FinalData(frame, make_plan(frame, window=7, horizon=1, test_size=30, val_size=30))
    with pytest.raises(SealedSplitError, match="test split starts"):
        SearchData(frame, final.plan)  # every row, test days included


def test_objective_never_receives_the_test_split(btc_short, monkeypatch):
    frame = load(str(btc_short))
    final = FinalData(frame, make_plan(frame, window=7, horizon=1, test_size=30, val_size=30, folds=3))
    seen = []

    def spy(config, members, **kwargs):
        seen.extend(d for m in members for d in (m.train.days.max(), m.val.days.max() + (m.val.Y.shape[1] - 1) *
                                                  pd.Timedelta(days=1)))
        if len(members) == 1:  # the most recent fold trains first; pretend it trained
            return [type("R", (), {"val_forecast": members[0].val.naive})()]
        raise optuna.TrialPruned("spy")

    monkeypatch.setattr("search.engine.objective.train_group", spy)
    objective = Objective(load_study_spec("dense", epochs=2, folds=3), final.search(), seed=0)
    assert objective.data.frame.index.max() < final.plan.test_start
    assert not hasattr(objective.data, "test")
    optuna.create_study().optimize(objective, n_trials=3)
    assert len(seen) == 3 * 3 * 2  # 3 trials x 3 folds x (train end, validation end)
    assert max(seen) < final.plan.test_start
    # The data handed to the objective holds no price from a test day at all.
    test_prices = set(final.test(window=7, horizon=1).Y.ravel())
    assert not test_prices & set(objective.data.frame["target"])


@pytest.mark.parametrize("days", [60, 40])
def test_short_data_clips_the_window_range_and_the_study_goes_on(days, tmp_path, btc_path, capsys):
    from tests.conftest import cut

    path = cut(btc_path, tmp_path, days, f"btc{days}.csv")
    code = run.main(["--family", "dense", "--trials", "12", "--sampler", "random", "--data", str(path),
                     "--storage", storage_url(tmp_path), "--study", "short", "--epochs", "2", "--eval-every", "1",
                     "--folds", "1", "--no-report", "--refit-every", "0", "--seeds", "1", "--retrain-top", "1"])
    assert code == 0
    out = capsys.readouterr().out
    assert out.count("note: windows limited to 7..") == 1
    limit = int(out.split("note: windows limited to 7..")[1].split()[0])
    trials = trials_of(tmp_path, "short")
    assert len(trials) == 12 and all(t.params["window"] <= limit for t in trials)
    assert all(t.state.name in ("COMPLETE", "PRUNED") for t in trials)
    assert (tmp_path / "runs" / "short" / "retrain.json").is_file()


def test_data_too_short_for_any_window_is_one_line(tmp_path, btc_path, capsys):
    from tests.conftest import cut

    path = cut(btc_path, tmp_path, 30, "btc30.csv")
    with pytest.raises(SystemExit) as exc:
        run.main(["--family", "dense", "--data", str(path), "--storage", storage_url(tmp_path), "--folds", "1"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: {path}: series too short: 30 rows, 36 needed") and "\n" not in err
    assert not (tmp_path / "studies.db").exists()  # refused before any storage was made


def test_bad_options_are_one_line_errors(tmp_path, btc_short, capsys):
    for argv, message in [
        (["--family", "dense", "--study", "../evil"], "invalid study name '../evil'"),
        (["--family", "dense", "--storage", "mongodb://x"], "unknown storage 'mongodb://x'"),
        (["--family", "dense", "--trials", "0"], "--trials: must be at least 1, got 0"),
        (["--family", "dense", "--forecast-days", "-1"], "--forecast-days: must be at least 1, got -1"),
        (["--family", "dense", "--refit-every", "-1"], "--refit-every: must be at least 0, got -1"),
        (["--family", "dense", "--engine", "keras-tuner", "--workers", "2", "--storage", "x.log"],
         "--engine keras-tuner runs in one process"),
        (["--family", "dense", "--until", "2030-01-01"], "--until 2030-01-01 is outside the data"),
        (["--family", "dense", "--until", "2001-01-01"], "--until 2001-01-01 is outside the data"),
        (["--family", "dense", "--folds", "9"], "series too short"),
        (["--family", "dense", "--val-size", "0.99"], "leaving no training data"),
    ]:
        with pytest.raises(SystemExit) as exc:
            run.main([*argv, "--data", str(btc_short), "--test-size", "30"])
        assert exc.value.code == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("error: ") and message in err and "\n" not in err, err
    assert not (tmp_path / "runs").exists()  # nothing half-written


@pytest.mark.parametrize("line, message", [
    ("reduction_factor = 1", "reduction_factor must be at least 2, got 1"),
    ("pruner = 'asha'", "unknown pruner 'asha'"),
    ("trails = 10", "unknown key(s) trails"),
    ("trials = ", "Invalid value"),
    ("folds = 0", "folds must be at least 1, got 0"),
    ("cpu_max_macs = 0", "cpu_max_macs must be a positive number (inf: no limit), got 0"),
    ("cpu_max_macs = 'lots'", "cpu_max_macs must be a positive number (inf: no limit), got 'lots'"),
])
def test_bad_study_declaration_is_one_line_error(line, message, tmp_path, btc_short, capsys, monkeypatch):
    import studies

    declared = (studies.HERE / "dense.toml").read_text()
    key = line.split("=")[0].strip()
    kept = [x for x in declared.splitlines() if x.split("=")[0].strip() != key]
    (tmp_path / "dense.toml").write_text("\n".join([*kept, line]) + "\n")
    monkeypatch.setattr(studies, "PATHS", [tmp_path])
    with pytest.raises(SystemExit) as exc:
        run.main(["--family", "dense", "--data", str(btc_short), "--no-retrain"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: {tmp_path / 'dense.toml'}: ") and message in err and "\n" not in err
    assert not (tmp_path / "runs").exists()  # nothing half-written


def test_keras_tuner_engine_writes_into_the_study_and_retrains(tmp_path, btc_short, capsys):
    run.main(["--family", "dense", "--engine", "keras-tuner", "--trials", "3", "--data", str(btc_short),
              "--storage", storage_url(tmp_path), "--study", "kt", "--epochs", "4", "--eval-every", "2",
              "--test-size", "30", "--val-size", "30", "--seeds", "1", "--retrain-top", "2", "--refit-every", "0",
              "--no-report"])
    trials = [t for t in trials_of(tmp_path, "kt") if t.user_attrs.get("engine") == "keras-tuner"]
    assert len(trials) == 3
    for t in trials:
        assert t.state.name == "COMPLETE" and t.value > 0
        assert set(t.params) <= {p.name for p in spaces.space("dense")}
        assert t.user_attrs["config"]["window"] == t.params["window"]
        assert len(t.user_attrs["fold_scores"]) == 3  # the same walk-forward objective
    # Its validation forecasts were stored as the Optuna engine's are: retraining recomputes nothing.
    out = capsys.readouterr().out
    assert "not in the artifact store" not in out
    summary = json.loads((tmp_path / "runs" / "kt" / "retrain.json").read_text())
    assert {r["trial"] for r in summary["retrained"]} <= {t.number for t in trials}
    scored = {c["name"]: c["val_rel_mae"] for c in summary["validation"]["candidates"]}
    assert all(scored[f"trial {t.number}"] == pytest.approx(t.value) for t in trials if f"trial {t.number}" in scored)


def test_ctrl_c_marks_the_running_trial_and_keeps_the_study(tmp_path, btc_short):
    import queue
    import signal
    import subprocess
    import sys
    import threading
    import time

    storage = storage_url(tmp_path)
    err_file = open(tmp_path / "stderr.txt", "w")  # noqa: SIM115 (the child writes it; closed below)
    proc = subprocess.Popen([sys.executable, "-m", "search.run", "--family", "dense", "--trials", "50",
                             "--data", str(btc_short), "--storage", storage, "--study", "stop", "--epochs", "400",
                             "--patience", "400", "--eval-every", "2", "--pruner", "none", "--no-retrain",
                             "--test-size", "30", "--val-size", "30"], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=err_file, text=True,
                            # as from a terminal: a shell without job control (CI, `cmd &`) would
                            # pass SIGINT on as ignored, and Python keeps an ignored SIGINT ignored
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    lines = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True)
    reader.start()
    try:
        # Each trial prints its line as it ends; the next one starts at once and trains 400 epochs.
        seen = [lines.get(timeout=120)]
        while " COMPLETE " not in seen[-1]:
            seen.append(lines.get(timeout=120))
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=120)
        reader.join(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
        err_file.close()
    out = "".join(seen + list(lines.queue))
    err = (tmp_path / "stderr.txt").read_text()
    assert proc.returncode == 130, err[-500:]
    assert "interrupted" in out and "study stop:" in out
    assert "Traceback" not in err and "KeyboardInterrupt" not in err  # no Optuna trace on the way out
    states = [t.state.name for t in trials_of(tmp_path, "stop")]
    assert "RUNNING" not in states and states[-1] == "FAIL"
    assert states.count("COMPLETE") >= 1  # earlier work is kept


def test_out_of_memory_fails_the_trial_and_the_study_goes_on(tmp_path, btc_short, monkeypatch):
    from search.engine import backend, trainer

    real = trainer._train_group
    calls = []
    message = "RESOURCE_EXHAUSTED: OOM when allocating tensor with shape[1024,512]"

    def sometimes_oom(config, members, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # the second trial's first group does not fit on the device
            if backend.name() == "jax":
                from jax.errors import JaxRuntimeError

                raise JaxRuntimeError(message)
            import tensorflow as tf

            raise tf.errors.ResourceExhaustedError(None, None, message)
        return real(config, members, *args, **kwargs)

    monkeypatch.setattr(trainer, "_train_group", sometimes_oom)
    run.main(["--family", "dense", "--trials", "3", "--data", str(btc_short), "--storage", storage_url(tmp_path),
              "--study", "oom", "--epochs", "2", "--eval-every", "1", "--no-retrain", "--pruner", "none", "--test-size", "30",
              "--val-size", "30", "--folds", "1"])
    states = [t.state.name for t in trials_of(tmp_path, "oom")]
    assert states == ["COMPLETE", "FAIL", "COMPLETE"]
    assert trials_of(tmp_path, "oom")[1].user_attrs["fail_reason"].startswith(
        "out of memory with 1 member(s): RESOURCE_EXHAUSTED: OOM")


def test_the_same_seed_gives_the_same_study(tmp_path, btc_short):
    values = []
    for name in ("a", "b"):
        run.main(["--family", "dense", "--trials", "3", "--data", str(btc_short), "--storage", storage_url(tmp_path),
                  "--study", name, "--epochs", "4", "--eval-every", "2", "--no-retrain", "--test-size", "30",
                  "--val-size", "30", "--seed", "7", "--sampler", "random"])
        values.append([(t.params, t.value) for t in trials_of(tmp_path, name)])
    assert values[0] == values[1]


def test_until_stands_at_a_past_day(tmp_path, btc_path, capsys):
    from search import baseline

    assert baseline.main(["--data", str(btc_path), "--until", "2019-11-09", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["last_day"] == "2019-11-09" and report["rows"] == 2231  # 2013-10-01 .. 2019-11-09


def test_a_volume_column_is_a_feature_of_the_multivariate_family(tmp_path, btc_path):
    from data import DataSpec
    from search.engine.trainer import train

    raw = pd.read_csv(btc_path).tail(300)
    close = raw["Closing Price (USD)"].to_numpy()
    volume = np.linspace(1e9, 2e9, len(raw))
    path = tmp_path / "yahoo.csv"
    pd.DataFrame({"Date": raw["Date"], "Open": close, "High": close, "Low": close, "Close": close,
                  "Adj Close": close, "Volume": volume}).to_csv(path, index=False)
    config = {**spaces.preset("seed-multivariate"), "block_reward": False, "volume": True, "epochs": 2}
    assert spaces.features(config) == ["volume"]
    final = DataSpec(data=str(path), test_size=30, val_size=30).final_data(1)
    fold = final.search().with_features(spaces.features(config)).folds(window=7, horizon=1)[0]
    assert fold.train.X.shape[2] == 2 and fold.train.X[0, :, 1] == pytest.approx(volume[:7])
    result = train(config, fold.train, fold.val, epochs=2)
    assert result.model.input_shape == (None, 7, 2) and np.isfinite(result.best_val_mase)


def _nbeats_macs(params: dict) -> int:
    """Forward multiply-adds per window, counted by hand from N-BEATS' shape: each block maps the window
    to its width, through fc_layers - 1 more hidden layers, to a backcast of the window and a forecast
    of one day. A shared block runs once per block all the same."""
    width, window = params["width"], params["window"]
    block = window * width + (params["fc_layers"] - 1) * width * width + width * (window + 1)
    return params["stacks"] * params["blocks"] * block


def test_without_a_gpu_a_configuration_over_the_cpu_limit_is_skipped_before_it_trains(tmp_path, btc_short, capsys,
                                                                                      monkeypatch):
    from search.engine.cost import OVERHEAD
    from search.engine.study import SKIPPED, final_data_of
    from search.evaluation.retrain import evidence_of
    from search.stopper import Stopper
    from search.workspace import Workspace

    code = run.main(["--family", "nbeats", "--trials", "9", "--sampler", "random", "--data", str(btc_short),
                     "--storage", storage_url(tmp_path), "--study", "nb", "--no-retrain", "--no-stop", *FAST])
    assert code == 0
    out = capsys.readouterr().out
    trials = trials_of(tmp_path, "nb")
    over = [t for t in trials if _nbeats_macs(t.params) > 2e6]  # the study file's limit
    under = [t for t in trials if t not in over]
    assert len(over) >= 2 and trials[0] in over  # the seed's 24M preset is over, with sampled ones
    # ...and its settings at 2 stacks (1.6M) train second.
    assert trials[1].user_attrs["preset"] == "seed-nbeats-2-stacks" and trials[1] in under and len(under) >= 2
    for t in over:
        assert t.state.name == "PRUNED" and not t.intermediate_values and "epochs" not in t.user_attrs
        assert f"{_nbeats_macs(t.params) / 1e6:.3g}M multiply-adds per window" in t.user_attrs[SKIPPED]
        assert f"trial {t.number:4d} PRUNED" in out and t.user_attrs[SKIPPED] in out
    assert "23.8M multiply-adds per window, over the study's CPU limit of 2M" in trials[0].user_attrs[SKIPPED]
    for t in under:
        assert SKIPPED not in t.user_attrs and t.intermediate_values  # each one trained and reported
        # Its cost counts in epochs of a model at the limit, not of the skipped 24M preset.
        assert t.user_attrs["relative_cost"] == pytest.approx((_nbeats_macs(t.params) + OVERHEAD) / (2e6 + OVERHEAD),
                                                              abs=1e-4)
    # The guard's multiple-testing count, and the stopping rule's, hold only the trials that saw the data.
    study = optuna.load_study(study_name="nb", storage=storage_url(tmp_path))
    assert evidence_of(study, pd.DataFrame(), 1, None).n_drawn == len(under)
    stopper = Stopper(study, final_data_of(study), 1, Workspace(tmp_path / "runs"), None, 0)
    for t in trials:
        stopper(study, t)
    assert stopper.rule.seen == len(under)
    # The flag overrides the study file; the limit applies without a GPU only.
    assert run.options_from(run.build_parser().parse_args(["--family", "nbeats", "--cpu-max-macs", "inf"])) \
        .overrides["cpu_max_macs"] == float("inf")
    objective = Objective(load_study_spec("nbeats"), SearchData.__new__(SearchData))
    assert load_study_spec("nbeats").cpu_max_macs == 2e6 and load_study_spec("dense").cpu_max_macs == float("inf")
    monkeypatch.setattr("search.engine.backend.gpus", lambda: [])
    assert objective.cpu_limit() == 2e6
    monkeypatch.setattr("search.engine.backend.gpus", lambda: ["a GPU"])
    assert objective.cpu_limit() == float("inf")


def test_the_keras_tuner_engine_skips_over_the_cpu_limit_too(btc_short, monkeypatch):
    from search.engine.kt_engine import trainer_score
    from search.engine.study import SKIPPED

    monkeypatch.setattr("search.engine.backend.gpus", lambda: [])
    frame = load(str(btc_short))
    final = FinalData(frame, make_plan(frame, window=7, horizon=1, test_size=30, val_size=30, folds=3))
    result = trainer_score(load_study_spec("nbeats"), final.search())(spaces.preset("seed-nbeats"), 2)
    assert result["score"] == 1e9 and "23.8M multiply-adds per window" in result[SKIPPED]
    assert "fail_reason" not in result and "table" not in result  # nothing trained, nothing to keep
