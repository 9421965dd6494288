"""What retraining leaves in a study's (or ensemble's) results folder, written once and read by one loader.

- ``identity.json``: whose results these are (:mod:`search.workspace`);
- ``retrain.json``: every candidate's scores under every protocol, the recommendation, intervals,
  and the identity it was computed for;
- ``retrain-*/predictions/*.csv``: the tables of forecasts those scores come from (one per
  protocol, plus the validation days);
- ``retrain-*/models/*.keras``: the retrained models of the static protocol.

Evaluation writes these files (atomically, :mod:`search.files`); reports and forecasts read them
with :func:`reading`, which checks that the summary belongs to the identity asked for and that
every file it names exists and is whole, and names the broken one otherwise. Retrains of one
identity run one at a time (:func:`retraining`); a reader holds a shared lock, so the folder it
reads is never removed under it.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from search.engine import interrupts
from search.errors import ResultsError
from search.files import locked, new_folder, write_json
from search.workspace import Identity, Workspace

SUMMARY = "retrain.json"


@contextlib.contextmanager
def retraining(ws: Workspace, ident: Identity, *, say=print) -> Iterator[tuple[Path, Path]]:
    """``(folder, work)``: the identity's results folder and a fresh work folder inside it, while
    no other retrain of the same identity runs (a second one waits for the first)."""
    folder = ws.claim(ident)
    with locked(folder / ".retrain.lock", waiting=lambda: say(f"waiting for another retrain of {ident.name} to "
                                                              f"finish ({folder / '.retrain.lock'})...")):
        yield folder, new_folder(folder, "retrain-")


def publish(folder: Path, summary: dict, work: Path) -> Path:
    """Write ``retrain.json`` (it names files in ``work`` only), then remove earlier retrains' folders.

    Until the rename that writes ``retrain.json``, the earlier summary and its files stay whole:
    an interrupted retrain loses nothing already earned. A Ctrl-C that a finaliser swallowed after
    the last training chunk (:mod:`search.engine.interrupts`) stops it here: nothing is published."""
    interrupts.check()
    path = folder / SUMMARY
    with locked(folder / ".read.lock"):
        write_json(path, summary)
        for old in folder.glob("retrain-*"):
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


def _check_file(path: Path, again: str) -> None:
    if not path.is_file():
        raise ResultsError(f"{path}: missing; {again}")
    if path.suffix == ".keras":
        try:
            with zipfile.ZipFile(path) as archive:
                broken = archive.testzip()
        except (zipfile.BadZipFile, OSError):
            broken = path.name
        if broken:
            raise ResultsError(f"{path}: not a complete model file (interrupted save?); {again}")
    elif path.suffix == ".csv":
        try:
            pd.read_csv(path, nrows=1)
        except (ValueError, OSError) as err:
            raise ResultsError(f"{path}: unreadable table ({err}); {again}") from None


def again_hint(ident: Identity) -> str:
    if ident.kind == "ensemble":
        return "build it again with `python -m search.ensemble`"
    return f"run `python -m search.retrain --study {ident.name}` again"


def load_summary(folder: Path, ident: Identity, *, verify: bool = True) -> dict:
    """``retrain.json`` of ``folder``, checked to belong to ``ident``, with every file it names checked."""
    path = folder / SUMMARY
    again = again_hint(ident)
    if not path.is_file():
        raise ResultsError(f"{path}: no retrained results; {again.replace(' again', '')} first")
    try:
        summary = json.loads(path.read_text())
    except (ValueError, OSError) as err:
        raise ResultsError(f"{path}: unreadable ({err}); {again}") from None
    if not isinstance(summary, dict) or not summary.get("protocols"):
        raise ResultsError(f"{path}: no scored forecaster in it; {again}")
    if summary.get("identity", {}).get("uid") != ident.uid:
        raise ResultsError(f"{path}: belongs to another {ident.kind} named {ident.name!r}; {again}")
    if verify:
        for name in _named_files(summary):
            _check_file(folder / name, again)
    return summary


@contextlib.contextmanager
def reading(ws: Workspace, ident: Identity, *, verify: bool = True) -> Iterator[tuple[Path, dict]]:
    """``(folder, summary)`` of ``ident``'s results, held so that no retrain removes them meanwhile."""
    folder = ws.find(ident)
    if folder is None:
        hint = again_hint(ident).replace(" again", "")
        raise ResultsError(f"{ident.describe()} has no retrained results in {ws.root}; {hint} first")
    with locked(folder / ".read.lock", shared=True):
        yield folder, load_summary(folder, ident, verify=verify)


def read_summary(ws: Workspace, ident: Identity, *, verify: bool = True) -> dict:
    """``retrain.json`` of ``ident`` (checked), for a caller that reads nothing else of the folder."""
    with reading(ws, ident, verify=verify) as (_, summary):
        return summary


def row_of(protocol: dict, name: str) -> dict:
    """A candidate's scored row in one protocol of ``retrain.json``."""
    return next(r for r in protocol["rows"] if r["name"] == name)


def read_table(folder: Path, name: str) -> pd.DataFrame:
    """A predictions table named in ``retrain.json`` (relative to the results folder)."""
    return pd.read_csv(Path(folder) / name, parse_dates=["date"])
