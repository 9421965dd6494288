"""The search end to end on a short real series: studies, pruning, resume, failures, sealed test."""

from __future__ import annotations

import json

import optuna
import pytest

import spaces
from data import FinalData, load, make_plan
from search import run
from search.objective import Objective
from studies import load_study_spec

FAST = ["--epochs", "6", "--eval-every", "2", "--patience", "4", "--seeds", "1", "--retrain-top", "1",
        "--test-size", "30", "--val-size", "30", "--no-report"]


def storage_url(tmp_path):
    return f"sqlite:///{tmp_path / 'studies.db'}"


def trials_of(tmp_path, name):
    return optuna.load_study(study_name=name, storage=storage_url(tmp_path)).get_trials()


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # runs/ is written under the test's folder


@pytest.mark.slow
@pytest.mark.parametrize("family", list(spaces.FAMILIES))
def test_four_trial_study_of_each_family(family, tmp_path, btc_short, capsys):
    # The seed presets are large (N-BEATS has 24M weights); the first trial is the preset.
    code = run.main(["--family", family, "--trials", "4", "--data", str(btc_short),
                     "--storage", storage_url(tmp_path), "--study", f"{family}-t", "--seed", "1", *FAST])
    assert code == 0
    out = capsys.readouterr().out
    trials = trials_of(tmp_path, f"{family}-t")
    assert len(trials) == 4
    assert trials[0].user_attrs["preset"] == spaces.SEED_PRESET[family]
    complete = [t for t in trials if t.state.name == "COMPLETE"]
    assert complete, out
    for t in complete:
        assert {"epochs", "best_epoch", "seconds", "n_params", "config"} <= t.user_attrs.keys()
        assert 1 <= t.user_attrs["best_epoch"] <= t.user_attrs["epochs"] <= 6
    summary = json.loads((tmp_path / "runs" / f"{family}-t" / "retrain.json").read_text())
    assert summary["naive"]["mae"] > 0 and summary["n_test"] == 30
    row = summary["retrained"][0]
    assert row["rank"] == 1 and 0 <= row["dm_p"] <= 1
    assert (tmp_path / "runs" / f"{family}-t" / row["seeds"][0]["model"]).is_file()
    assert "naive (same test days)" in out and ("beat" in out)


def test_pruning_happens_in_a_study_built_to_prune(tmp_path, btc_short):
    # Median pruner after 5 startup trials, random sampling over the dense space: weak trials are cut.
    run.main(["--family", "dense", "--trials", "14", "--data", str(btc_short), "--storage", storage_url(tmp_path),
              "--study", "prune", "--pruner", "median", "--sampler", "random", "--epochs", "20", "--eval-every", "2",
              "--patience", "20", "--no-retrain", "--test-size", "30", "--val-size", "30"])
    states = [t.state.name for t in trials_of(tmp_path, "prune")]
    assert states.count("PRUNED") >= 1, states
    pruned = [t for t in trials_of(tmp_path, "prune") if t.state.name == "PRUNED"]
    assert all(t.user_attrs["epochs"] < 20 for t in pruned)


def test_resume_adds_trials_to_the_same_study(tmp_path, btc_short, capsys):
    args = ["--family", "dense", "--data", str(btc_short), "--storage", storage_url(tmp_path), "--study", "resume",
            "--no-retrain", "--epochs", "4", "--eval-every", "2", "--test-size", "30", "--val-size", "30"]
    run.main([*args, "--trials", "2"])
    run.main([*args, "--trials", "3"])
    trials = trials_of(tmp_path, "resume")
    assert [t.number for t in trials] == [0, 1, 2, 3, 4]
    assert "2 earlier trials" in capsys.readouterr().out
    assert sum(t.user_attrs.get("preset") is not None for t in trials) == 1  # the preset is enqueued once


def test_nan_trial_fails_and_the_study_goes_on(tmp_path, btc_short, capsys):
    study_args = ["--family", "dense", "--data", str(btc_short), "--storage", storage_url(tmp_path),
                  "--study", "nan", "--epochs", "4", "--eval-every", "2", "--test-size", "30", "--val-size", "30"]
    run.main([*study_args, "--trials", "1", "--no-retrain"])  # creates the study (the preset runs)
    study = optuna.load_study(study_name="nan", storage=storage_url(tmp_path))
    # A learning rate of 1e30 on raw prices with MSE overflows to inf/NaN at once.
    study.enqueue_trial({**{k: v for k, v in spaces.preset("seed-dense-w7").items()
                            if k in {p.name for p in spaces.space("dense")}},
                         "learning_rate": 1e30, "loss": "mse"})
    with pytest.warns(UserWarning):
        run.main([*study_args, "--trials", "3", "--no-retrain"])
    trials = trials_of(tmp_path, "nan")
    assert len(trials) == 4
    failed = trials[1]
    assert failed.state.name == "FAIL"
    assert "became" in failed.user_attrs["fail_reason"]
    assert [t.state.name for t in trials[2:]].count("FAIL") < 2  # the study went on
    assert "FAIL" in capsys.readouterr().out


def test_objective_never_receives_the_test_split(btc_short, monkeypatch):
    frame = load(str(btc_short))
    final = FinalData(frame, make_plan(frame, window=7, horizon=1, test_size=30, val_size=30))
    seen = []

    def spy(model, config, train_w, val_w, **kwargs):
        seen.extend([train_w.days.max(), val_w.days.max(), val_w.X.shape[0]])
        raise optuna.TrialPruned("spy")

    monkeypatch.setattr("search.objective.train", spy)
    objective = Objective(load_study_spec("dense", epochs=2), final.search(), seed=0)
    assert objective.data.frame.index.max() < final.plan.test_start
    assert not hasattr(objective.data, "test")
    study = optuna.create_study()
    study.optimize(objective, n_trials=3)
    assert len(seen) == 9
    assert max(d for d in seen[::3] + seen[1::3]) < final.plan.test_start
    # The data handed to the objective holds no price from a test day at all.
    test_prices = set(final.test(window=7, horizon=1).Y.ravel())
    assert not test_prices & set(objective.data.frame["target"])


def test_bad_options_are_one_line_errors(tmp_path, btc_short, capsys):
    for argv, message in [
        (["--family", "dense", "--study", "../evil"], "invalid study name '../evil'"),
        (["--family", "dense", "--storage", "mongodb://x"], "unknown storage 'mongodb://x'"),
        (["--family", "dense", "--trials", "0"], "--trials must be at least 1"),
    ]:
        with pytest.raises(SystemExit) as exc:
            run.main([*argv, "--data", str(btc_short)])
        assert exc.value.code == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("error: ") and message in err and "\n" not in err


@pytest.mark.parametrize("line, message", [
    ("reduction_factor = 1", "reduction_factor must be at least 2, got 1"),
    ("pruner = 'asha'", "unknown pruner 'asha'"),
    ("trails = 10", "unknown key(s) trails"),
    ("trials = ", "Invalid value"),
])
def test_bad_study_declaration_is_one_line_error(line, message, tmp_path, btc_short, capsys, monkeypatch):
    import studies

    declared = (studies.HERE / "dense.toml").read_text()
    key = line.split("=")[0].strip()
    kept = [x for x in declared.splitlines() if x.split("=")[0].strip() != key]
    (tmp_path / "dense.toml").write_text("\n".join([*kept, line]) + "\n")
    monkeypatch.setattr(studies, "HERE", tmp_path)
    with pytest.raises(SystemExit) as exc:
        run.main(["--family", "dense", "--data", str(btc_short), "--no-retrain"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: {tmp_path / 'dense.toml'}: ") and message in err and "\n" not in err
    assert not (tmp_path / "runs").exists()  # nothing half-written


def test_keras_tuner_engine_writes_into_the_study(tmp_path, btc_short):
    run.main(["--family", "dense", "--engine", "keras-tuner", "--trials", "3", "--data", str(btc_short),
              "--storage", storage_url(tmp_path), "--study", "kt", "--epochs", "4", "--eval-every", "2",
              "--no-retrain", "--test-size", "30", "--val-size", "30"])
    trials = [t for t in trials_of(tmp_path, "kt") if t.user_attrs.get("engine") == "keras-tuner"]
    assert len(trials) == 3
    for t in trials:
        assert t.state.name == "COMPLETE" and t.value > 0
        assert set(t.params) <= {p.name for p in spaces.space("dense")}
        assert t.user_attrs["config"]["window"] == t.params["window"]


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
        for _ in range(100):
            try:
                if trials_of(tmp_path, "stop")[-1].state.name == "RUNNING":
                    break
            except Exception:  # the worker may hold SQLite's write lock for a moment
                pass
            time.sleep(0.05)
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
    states = [t.state.name for t in trials_of(tmp_path, "stop")]
    assert "RUNNING" not in states and states[-1] == "FAIL"
    assert states.count("COMPLETE") >= 1  # earlier work is kept
