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
import zipfile
from pathlib import Path

import pandas as pd

from search.engine.storage import RUNS
from search.errors import ResultsError
from search.files import write_json

SUMMARY = "retrain.json"


def run_dir(study_name: str, runs_dir: Path = RUNS) -> Path:
    return Path(runs_dir) / study_name


def write_retrain(summary: dict, runs_dir: Path = RUNS) -> Path:
    path = run_dir(summary["study"], runs_dir) / SUMMARY
    write_json(path, summary)
    return path


def _named_files(summary: dict) -> list[str]:
    files = [p["table"] for p in summary.get("protocols", [])]
    files += [s["model"] for r in summary.get("retrained", []) for s in r.get("seeds", [])]
    for key in ("validation", "intervals"):
        if summary.get(key, {}).get("csv"):
            files.append(summary[key]["csv"])
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
    if not summary.get("retrained"):
        raise ResultsError(f"{path}: no retrained configuration in it; run `python -m search.retrain "
                           f"--study {study_name}`")
    if verify:
        for name in _named_files(summary):
            _check_file(path.parent / name)
    return summary


def read_table(study_name: str, name: str, runs_dir: Path = RUNS) -> pd.DataFrame:
    """A predictions table named in ``retrain.json`` (relative to the study's folder)."""
    return pd.read_csv(run_dir(study_name, runs_dir) / name, parse_dates=["date"])
