"""What retraining leaves under ``runs/<study>/``, written once and read by one loader.

- ``retrain.json``: every candidate's scores under every protocol, the recommendation, intervals;
- ``predictions/*.csv``: the tables of forecasts those scores come from (one per protocol, plus
  the validation days);
- ``models/*.keras``: the retrained models of the static protocol.

Evaluation writes these files (atomically, :mod:`search.files`); reports and forecasts read them
with :func:`read_retrain`, which checks that every file the summary names exists and is whole,
and names the broken one otherwise.
"""

from __future__ import annotations

import json
import shutil
import time
import zipfile
from pathlib import Path

import pandas as pd

from search.engine.storage import RUNS
from search.errors import ResultsError
from search.files import write_json

SUMMARY = "retrain.json"


def run_dir(study_name: str, runs_dir: Path = RUNS) -> Path:
    return Path(runs_dir) / study_name


def new_work_dir(name: str, runs_dir: Path = RUNS) -> Path:
    """A fresh folder for one retrain's files; :func:`publish` makes it the current one."""
    return run_dir(name, runs_dir) / time.strftime("retrain-%Y%m%d-%H%M%S")


def publish(summary: dict, work: Path, runs_dir: Path = RUNS) -> Path:
    """Write ``retrain.json`` (it names files in ``work`` only), then remove earlier retrains' folders.

    Until the rename that writes ``retrain.json``, the earlier summary and its files stay whole:
    an interrupted retrain loses nothing already earned."""
    path = run_dir(summary["study"], runs_dir) / SUMMARY
    write_json(path, summary)
    for old in path.parent.glob("retrain-*"):
        if old != work and old.is_dir():
            shutil.rmtree(old, ignore_errors=True)
    return path


def _named_files(summary: dict) -> list[str]:
    files = [p["table"] for p in summary.get("protocols", [])]
    models = [s["model"] for r in summary.get("retrained", []) for s in r.get("seeds", [])]
    models += [m for member in summary.get("members", []) for m in member.get("models", [])]
    files += models + [str(Path(m).with_suffix(".scaler.json")) for m in models]
    for key in ("validation", "intervals"):
        if summary.get(key, {}).get("csv"):
            files.append(summary[key]["csv"])
    if summary.get("ensemble"):
        files.append(summary["ensemble"])
    return files


def _check_file(path: Path) -> None:
    if not path.is_file():
        raise ResultsError(f"{path}: missing; run `python -m search.retrain` again")
    if path.suffix == ".keras":
        try:
            with zipfile.ZipFile(path) as archive:
                broken = archive.testzip()
        except (zipfile.BadZipFile, OSError):
            broken = path.name
        if broken:
            raise ResultsError(f"{path}: not a complete model file (interrupted save?); "
                               "run `python -m search.retrain` again")
    elif path.suffix == ".csv":
        try:
            pd.read_csv(path, nrows=1)
        except (ValueError, OSError) as err:
            raise ResultsError(f"{path}: unreadable table ({err}); run `python -m search.retrain` again") from None


def read_retrain(study_name: str, runs_dir: Path = RUNS, *, verify: bool = True) -> dict:
    """``retrain.json`` of a study, with every file it names checked (``verify``)."""
    path = run_dir(study_name, runs_dir) / SUMMARY
    if not path.is_file():
        raise ResultsError(f"{path}: no retrained results; run `python -m search.retrain --study {study_name}` first")
    try:
        summary = json.loads(path.read_text())
    except (ValueError, OSError) as err:
        raise ResultsError(f"{path}: unreadable ({err}); run `python -m search.retrain --study {study_name}`") \
            from None
    if not summary.get("protocols"):
        raise ResultsError(f"{path}: no scored forecaster in it; run `python -m search.retrain "
                           f"--study {study_name}`")
    if verify:
        for name in _named_files(summary):
            _check_file(path.parent / name)
    return summary


def read_table(study_name: str, name: str, runs_dir: Path = RUNS) -> pd.DataFrame:
    """A predictions table named in ``retrain.json`` (relative to the study's folder)."""
    return pd.read_csv(run_dir(study_name, runs_dir) / name, parse_dates=["date"])
