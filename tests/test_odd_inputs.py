"""Odd input and odd places, met as a new user meets them: each command exits 0 with nothing on
stderr, or gives one line and exit status 2, leaving nothing half-written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import BTC_FILE, copy_of, require

NOISE = ("Traceback", "absl", "cuda", "CUDA", "oneDNN", "Warning")


def run(args: list[str], *, cwd, env=None, code: str | None = None, timeout: int = 300):
    """``python -m search.<args>``, or ``python -c code`` with ``args`` as its argv."""
    argv = [sys.executable, "-c", code, *args] if code else [sys.executable, "-m", *args]
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})} if env is not None else None)


def one_line(proc, *needles) -> str:
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2, proc.stderr + proc.stdout[-500:]
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert not any(word in proc.stderr for word in NOISE), proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def clean(proc) -> str:
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stderr == "", proc.stderr
    return proc.stdout


# The download's one seam, replaced in the child: it fails as without network, or serves the file.
FIRST_RUN = """
import shutil, sys, urllib.error
import data.datasets as d
def fake(url, dest):
    if sys.argv[1] == "offline":
        raise urllib.error.URLError("[Errno -2] Name or service not known")
    shutil.copy(sys.argv[2], dest)
d.download = fake
from search.run import main
sys.exit(main(sys.argv[3:]))
"""


@pytest.mark.parametrize("network", ["offline", "online"])
def test_a_new_users_first_run(network, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home), "BITPREDICT_DATA_DIR": ""}
    env = {k: v for k, v in {**os.environ, **env}.items() if k not in ("BITPREDICT_DATA_DIR", "BITPREDICT_TEST_DATA")}
    argv = [network, str(BTC_FILE), "--family", "dense", "--trials", "1", "--epochs", "1", "--no-retrain",
            "--storage", str(tmp_path / "s.log"), "--folds", "1"]
    proc = subprocess.run([sys.executable, "-c", FIRST_RUN, *argv], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300, env=env)
    cached = home / ".keras" / "datasets" / BTC_FILE.name
    if network == "offline":
        one_line(proc, "https://raw.githubusercontent.com/", ".csv: download failed, no network?",
                 "Name or service not known")
        assert not (tmp_path / "s.log").exists() and not list(cached.parent.glob("*"))  # nothing half-written
    else:
        assert "trial    0 COMPLETE" in clean(proc)
        assert cached.read_bytes() == BTC_FILE.read_bytes()


@pytest.fixture(scope="module")
def config_file(retrained_module):
    return json.loads((retrained_module / "runs" / "reports" / "tiny" / "best_config.json").read_text())


@pytest.fixture(scope="module")
def retrained_module(tmp_path_factory, btc_short):
    from search import run
    from tests.conftest import inside

    with inside(tmp_path_factory.mktemp("odd")) as where:
        assert run.main(["--family", "dense", "--trials", "3", "--data", str(btc_short), "--study", "tiny",
                         "--epochs", "4", "--eval-every", "2", "--seeds", "1", "--retrain-top", "1",
                         "--test-size", "30", "--val-size", "30", "--refit-every", "0", "--forecast-days", "3"]) == 0
    return where


@pytest.mark.parametrize("edit, message", [
    ({"config.units": -5}, "units = -5: allowed a whole number in 16 .. 512"),
    ({"config.units": "many"}, "units = 'many': allowed a whole number in 16 .. 512"),
    ({"config.family": "transformer"}, "family = 'transformer': allowed one of"),
    ({"config.family": "lstm"}, "missing key 'layout'"),
    ({"config.window": 1000}, "window = 1000: allowed a whole number in 7 .. 90"),
    ({"config.learning_rate": -1}, "learning_rate = -1: allowed a number in 0.0001 .. 0.01"),
    ({"config.depth": 3}, "unknown key 'depth'"),
    ({"epochs": 0}, "epochs = 0: allowed a whole number of at least 1"),
    ({"seeds": []}, "seeds = []: allowed a non-empty list"),
])
def test_a_hand_edited_config_is_refused_in_one_line(edit, message, config_file, tmp_path):
    spec = json.loads(json.dumps(config_file))
    for path, value in edit.items():
        *parents, key = path.split(".")
        target = spec
        for p in parents:
            target = target[p]
        target[key] = value
    path = tmp_path / "best_config.json"
    path.write_text(json.dumps(spec))
    proc = run(["search.retrain", "--config", str(path)], cwd=tmp_path, timeout=60)
    one_line(proc, str(path), message)
    assert not (tmp_path / "runs").exists()


def test_forecast_of_an_ensemble_that_is_a_study(retrained_module, tmp_path):
    work = copy_of(retrained_module, tmp_path)
    one_line(run(["search.forecast", "--ensemble", "tiny"], cwd=work), "no ensemble named 'tiny'",
             "'tiny' is a study: use --study tiny")


def test_a_results_folder_that_cannot_be_written(btc_short, tmp_path):
    runs = tmp_path / "runs"
    runs.mkdir()
    immutable = subprocess.run(["chattr", "+i", str(runs)], capture_output=True).returncode == 0
    require(immutable or os.getuid() != 0, "chattr +i (as root, no folder is read-only otherwise)")
    if not immutable:
        runs.chmod(0o555)
    try:
        proc = run(["search.run", "--family", "dense", "--data", str(btc_short), "--storage", str(tmp_path / "s.log"),
                    "--trials", "1"], cwd=tmp_path, timeout=60)
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(runs)], check=True)
    one_line(proc, "runs: cannot write results here", "--runs DIR")
    assert not (tmp_path / "s.log").exists()  # refused before the study was made


@pytest.mark.parametrize("storage, message", [
    ("sqlite:///", "in-memory database"),
    ("sqlite:///:memory:", "in-memory database"),
    ("postgresql://u:p@ss@127.0.0.1:1/x", "percent-encode an '@'"),
])
def test_storages_a_driver_would_misread(storage, message, btc_short, tmp_path):
    line = one_line(run(["search.run", "--family", "dense", "--data", str(btc_short), "--storage", storage],
                        cwd=tmp_path, timeout=60), message)
    assert "ss@127" not in line  # no fragment of the password
    assert list(tmp_path.iterdir()) == []


def _csv(path: Path, dates: list[str], header="Date,Close") -> Path:
    closes = pd.read_csv(BTC_FILE)["Closing Price (USD)"].iloc[: len(dates)]
    path.write_text("\n".join([header, *(f"{d},{c}" for d, c in zip(dates, closes, strict=True))]) + "\n")
    return path


def test_day_first_dates_are_read_as_such(tmp_path):
    days = pd.date_range("2013-01-01", periods=200)
    path = _csv(tmp_path / "dmy.csv", [d.strftime("%d/%m/%Y") for d in days])
    out = clean(run(["search.baseline", "--data", str(path), "--json"], cwd=tmp_path, timeout=60))
    report = json.loads(out)
    assert report["first_day"] == "2013-01-01" and report["last_day"] == str(days[-1].date())
    assert report["filled_days"] == 0


def test_ambiguous_or_mixed_dates_are_refused_with_the_fix(tmp_path):
    days = pd.date_range("2013-01-01", periods=12)
    ambiguous = _csv(tmp_path / "a.csv", [d.strftime("%m/%d/%Y").replace("/2013", "/2013") for d in days][:12])
    one_line(run(["search.baseline", "--data", str(ambiguous)], cwd=tmp_path, timeout=60),
             "could be day-first or month-first", "--date-format")
    mixed = _csv(tmp_path / "m.csv", ["13/01/2013", "01/14/2013", *[f"{d}/02/2013" for d in range(10, 28)]])
    one_line(run(["search.baseline", "--data", str(mixed)], cwd=tmp_path, timeout=60),
             "mixes day-first and month-first")


def test_a_price_too_large_to_train_on(tmp_path):
    days = pd.date_range("2013-01-01", periods=200)
    path = _csv(tmp_path / "big.csv", [str(d.date()) for d in days])
    lines = path.read_text().splitlines()
    lines[50] = lines[50].split(",")[0] + ",1e300"
    path.write_text("\n".join(lines) + "\n")
    one_line(run(["search.baseline", "--data", str(path)], cwd=tmp_path, timeout=60),
             "row 51, column 'Close': price 1e+300 is outside", "rescale the column")


def test_far_forecasts_are_capped_and_bands_stay_positive(retrained_module, tmp_path):
    work = copy_of(retrained_module, tmp_path)
    one_line(run(["search.forecast", "--study", "tiny", "--days", "10000"], cwd=work, timeout=60),
             "--days: must be at most 365")
    out = clean(run(["search.forecast", "--study", "tiny", "--days", "365"], cwd=work))
    fc = pd.read_csv(work / "runs" / "tiny" / "forecast.csv")
    assert len(fc) == 365 and (fc["lo95"] > 0).all() and (fc["lo95"] < fc["lo80"]).all()
    assert "grow as √(h/H)" in out


def test_stderr_stays_empty_on_the_commands_that_succeed(retrained_module, tmp_path):
    work = copy_of(retrained_module, tmp_path)
    clean(run(["search.bench", "--only", "memory", "--memory-trials", "10", "--data", str(BTC_FILE)], cwd=work))
    # A busy port: one line, and no server banner or "Listening on" before it.
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = run(["search.dashboard", "--port", str(port)], cwd=work, timeout=60)
    one_line(proc, f"cannot listen on 127.0.0.1:{port}")
    assert "Listening" not in proc.stdout and "Bottle" not in proc.stdout + proc.stderr


def test_results_are_written_with_the_umask_a_user_expects(retrained_module):
    mode = (retrained_module / "runs" / "tiny" / "retrain.json").stat().st_mode & 0o777
    assert mode == 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_an_empty_study_name_is_refused(btc_short, tmp_path):
    one_line(run(["search.run", "--family", "dense", "--data", str(btc_short), "--study", ""], cwd=tmp_path,
                 timeout=60), "invalid study name ''")


def test_an_interrupted_seed_preset_runs_again_on_resume(btc_short, tmp_path, monkeypatch):
    import optuna

    from search import run as run_cli

    monkeypatch.chdir(tmp_path)
    storage = f"sqlite:///{tmp_path / 's.db'}"
    base = ["--family", "dense", "--data", str(btc_short), "--storage", storage, "--study", "again", "--epochs", "2",
            "--eval-every", "1", "--no-retrain", "--test-size", "30", "--val-size", "30", "--folds", "1"]
    from search.engine import objective

    real = objective.Objective.evaluate

    def interrupted(self, config, **kwargs):  # Ctrl-C during the preset, the study's first trial
        raise KeyboardInterrupt

    monkeypatch.setattr(objective.Objective, "evaluate", interrupted)
    assert run_cli.main([*base, "--trials", "1"]) == 130
    monkeypatch.setattr(objective.Objective, "evaluate", real)
    assert run_cli.main([*base, "--trials", "2"]) == 0
    trials = optuna.load_study(study_name="again", storage=storage).trials
    assert [t.state.name for t in trials[:2]] == ["FAIL", "COMPLETE"]
    assert trials[1].user_attrs["preset"] == "seed-dense-w7" and trials[1].user_attrs["requeued_from"] == 0


def test_presets_on_another_csv_do_not_compare_with_the_seeds_figures(tmp_path, btc_short):
    out = clean(run(["search.presets", "--only", "seed-dense-w7", "--max-epochs", "2", "--data", str(btc_short)],
                    cwd=tmp_path))
    assert "not the seed's data" in out and "seed published" not in out
    rows = json.loads((tmp_path / "runs" / "presets" / "presets.json").read_text())
    assert rows[0]["published_mae"] is None


def test_horizon_seven_reports_label_target_days(btc_short, tmp_path):
    from search import run as run_cli
    from tests.conftest import inside, summary_of

    with inside(tmp_path):
        assert run_cli.main(["--family", "dense", "--trials", "2", "--data", str(btc_short), "--study", "h7",
                             "--horizon", "7", "--epochs", "2", "--eval-every", "1", "--seeds", "1", "--retrain-top", "1",
                             "--test-size", "30", "--val-size", "30", "--refit-every", "0", "--forecast-days", "14"]) == 0
    s = summary_of(tmp_path, "h7")
    static = pd.read_csv(tmp_path / "runs" / "h7" / s["protocols"][0]["table"])
    assert s["test_last_day"] == static["date"].max() == "2021-05-18"  # the last target day, not window start
    last_close = pd.read_csv(btc_short)["Closing Price (USD)"].iloc[-1]
    assert s["stress"]["last_day"] == "2021-05-18" and s["stress"]["price"] == pytest.approx(last_close)
    fc = pd.read_csv(tmp_path / "runs" / "h7" / "forecast.csv")
    width = (fc["hi80"] - fc["lo80"]) / fc["forecast"]
    assert (width.iloc[7:].diff().dropna() > 0).all()  # past the horizon, bands keep widening
