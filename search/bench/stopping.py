"""Stopping on evidence against running every trial: the same studies (eras x families, same
seeds), once with the rule and once with ``--no-stop``.

For each: the trials run and their training time (the sum of the trials' own seconds), the
recommendation and its test rel. MAE under both protocols. A stopped study is the same sequence of
trials cut short (one process, the same seed), so the two differ only in what the later trials
found.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path

import optuna

from search.bench.common import progress
from search.bench.eras import ERAS


def _run(where: Path, argv: list[str]) -> dict:
    from search import run

    old = os.getcwd()
    os.chdir(where)
    try:
        with open("run.log", "a") as log, contextlib.redirect_stdout(log):
            assert run.main(argv) == 0
    finally:
        os.chdir(old)
    name = argv[argv.index("--study") + 1]
    summary = json.loads((where / "runs" / name / "retrain.json").read_text())
    study = optuna.load_study(study_name=name, storage=f"sqlite:///{where / 'runs' / 'optuna.db'}")
    rec = summary["recommendation"]["name"]
    return {"trials": len(study.trials), "trial_seconds": sum(t.user_attrs.get("seconds", 0) for t in study.trials),
            "stopped": study.user_attrs.get("stopped", {}).get("trial"), "recommended": rec,
            "test_rel_mae": {p["key"]: next(r["rel_mae"] for r in p["rows"] if r["name"] == rec)
                             for p in summary["protocols"]}}


def bench_stopping(data: str, *, families=("dense", "conv1d"), trials: int = 30, eras=ERAS) -> dict:
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for until in eras:
            for family in families:
                where = Path(tmp) / f"{family}-{until}"
                where.mkdir()
                base = ["--family", family, "--trials", str(trials), "--data", data, "--until", until, "--no-report"]
                every = _run(where, [*base, "--study", "every", "--no-stop"])
                stopped = _run(where, [*base, "--study", "stopped"])
                runs.append({"until": until, "family": family, "every": every, "stopping": stopped})
                progress(f"stopping: {runs[-1]}")
    total = {k: sum(r[k]["trial_seconds"] for r in runs) for k in ("every", "stopping")}
    return {"trials": trials, "runs": runs, "trial_seconds": total, "saved": 1 - total["stopping"] / total["every"],
            "same_recommendation": sum(r["every"]["recommended"] == r["stopping"]["recommended"] for r in runs)}


def bench_long(data: str, trials: int = 300) -> dict:
    """Asked for ``trials`` dense trials: where the search stops by itself, and why."""
    with tempfile.TemporaryDirectory() as tmp:
        from search import run

        old = os.getcwd()
        os.chdir(tmp)
        try:
            with open("run.log", "w") as log, contextlib.redirect_stdout(log):
                assert run.main(["--family", "dense", "--trials", str(trials), "--data", data, "--no-retrain"]) == 0
            study = optuna.load_study(study_name="dense-btc-h1", storage="sqlite:///runs/optuna.db")
            return {"asked": trials, "ran": len(study.trials), "stopped": study.user_attrs.get("stopped"),
                    "seconds": sum(t.user_attrs.get("seconds", 0) for t in study.trials)}
        finally:
            os.chdir(old)
