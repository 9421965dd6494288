"""Every command, as a user runs it: a bad argument is one clean line on stderr and exit status 2,
with no TensorFlow, absl or CUDA noise, nothing created, and answered before TensorFlow loads."""

from __future__ import annotations

import subprocess
import sys

import pytest

NOISE = ("Traceback", "absl", "cuda", "CUDA", "tensorflow", "oneDNN", "Warning")

BAD = [
    ("run", ["--family", "dense", "--trials", "0"], "--trials: must be at least 1, got 0"),
    ("run", ["--family", "dense", "--data", "/nonexistent.csv"], "/nonexistent.csv: no such file"),
    ("run", ["--family", "dense", "--forecast-days", "-1"], "--forecast-days: must be at least 1, got -1"),
    ("retrain", ["--study", "nosuch"], "no such SQLite database"),
    ("retrain", ["--study", "nosuch", "--top", "0"], "--top: must be at least 1, got 0"),
    ("retrain", ["--study", "nosuch", "--seeds", "0"], "--seeds: must be at least 1, got 0"),
    ("retrain", ["--config", "/nonexistent.json"], "/nonexistent.json: not a usable best_config.json"),
    ("retrain", ["--study", "nosuch", "--budget", "nan"], "--budget: must be 0 or more, got nan"),
    ("run", ["--family", "dense", "--retrain-budget", "-1"], "--retrain-budget: must be 0 or more, got -1"),
    ("run", ["--family", "nbeats", "--cpu-max-macs", "0"], "--cpu-max-macs: must be positive (inf: no limit), got 0"),
    ("run", ["--family", "nbeats", "--cpu-max-macs", "2M"], "--cpu-max-macs: '2M' is not a number"),
    ("report", ["--study", "nosuch"], "no such SQLite database"),
    ("report", ["--all", "--storage", "ftp://x"], "unknown storage 'ftp://x'"),
    ("forecast", ["--study", "nosuch", "--days", "-1"], "--days: must be at least 1, got -1"),
    ("forecast", ["--study", "nosuch"], "no such SQLite database"),
    ("baseline", ["--window", "0"], "--window: must be at least 1, got 0"),
    ("baseline", ["--until", "1999-01-01"], "--until 1999-01-01 is outside the data"),
    ("baseline", ["--val-size", "0.99"], "leaving no training data"),
    ("baseline", ["--test-size", "0.7", "--val-size", "0.3"], "leaving no training data"),
    ("dashboard", ["--port", "0"], "--port: must be at least 1, got 0"),
    ("dashboard", ["--storage", "runs/none.log"], "no such journal file"),
    ("bench", ["--only", "everything"], "invalid choice: 'everything'"),
    ("presets", ["--seeds", "0"], "--seeds: must be at least 1, got 0"),
]


@pytest.mark.parametrize("command, argv, message", BAD, ids=[f"{c} {' '.join(a)}" for c, a, _ in BAD])
def test_bad_arguments_are_one_clean_line(command, argv, message, tmp_path):
    proc = subprocess.run([sys.executable, "-m", f"search.{command}", *argv], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2, proc.stderr
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], proc.stderr
    assert not any(word in proc.stderr for word in NOISE), proc.stderr
    assert list(tmp_path.iterdir()) == []  # a refused command creates nothing (no runs/optuna.db)


@pytest.mark.parametrize("command", ["run", "retrain", "report", "forecast", "baseline", "dashboard", "bench",
                                     "presets"])
def test_help_answers_without_loading_tensorflow(command):
    code = (f"import sys; from search import {command} as m\n"
            "try:\n    m.main(['--help'])\nexcept SystemExit as e:\n    assert e.code == 0\n"
            "print('tensorflow' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "False"
    assert proc.stderr == ""


def test_real_commands_print_nothing_on_stderr(btc_short, tmp_path):
    # TensorFlow loads and trains here; its start-up lines must not reach the user. The ensemble
    # command once imported it (through a module it checks studies with) before silencing it.
    def run(*argv):
        proc = subprocess.run([sys.executable, "-m", *argv], cwd=tmp_path, capture_output=True, text=True,
                              timeout=300)
        assert proc.returncode == 0, proc.stderr
        assert proc.stderr == "", proc.stderr
        return proc.stdout

    assert "trial    1 COMPLETE" in run("search.run", "--family", "dense", "--trials", "2", "--data", str(btc_short),
                                       "--study", "s", "--epochs", "2", "--no-retrain", "--test-size", "30",
                                       "--val-size", "30", "--pruner", "none")
    assert "selection took" in run("search.ensemble", "--studies", "s", "--top", "2", "--seeds", "1",
                                   "--refit-every", "0")
