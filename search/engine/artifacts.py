"""Validation forecasts, kept beside their trial or study in Optuna's artifact store.

One CSV per completed trial (``validation.csv``: fold, date, step, actual, naive, forecast) holds
what its score was computed from. Retraining reads them to fit the shrinkage toward naive, to
calibrate intervals and to weigh the guard's evidence; ensemble selection reads the top trials'
tables of several studies. optuna-dashboard lists them. The store is a folder
(``runs/artifacts``) of the workspace.

Example (a trial's table saved beside it and read back from its attributes):
    >>> import tempfile
    >>> runs = Path(tempfile.mkdtemp())
    >>> store = artifact_store(runs / "artifacts")
    >>> study = optuna.create_study(storage=f"sqlite:///{runs}/demo.db")
    >>> trial = study.ask()
    >>> table = pd.DataFrame({"fold": [0, 0], "date": pd.to_datetime(["2024-01-01", "2024-01-02"]),
    ...                       "actual": [10.0, 11.0], "naive": [9.0, 10.0], "forecast": [10.5, 10.0]})
    >>> _ = save_validation(trial, store, table)
    >>> study.tell(trial, 0.5)
    FrozenTrial(...)
    >>> validation_table(study.trials[0], store).equals(table)
    True
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import optuna
import pandas as pd
from optuna.artifacts import (
    FileSystemArtifactStore,
    download_artifact,
    upload_artifact,
)
from optuna.artifacts.exceptions import ArtifactNotFound

FILENAME = "validation.csv"
KEY = "validation_artifact"


def artifact_store(base: Path, *, create: bool = True) -> FileSystemArtifactStore | None:
    """The store in folder ``base``; None when it does not exist and ``create`` is false."""
    base = Path(base)
    if not base.is_dir():
        if not create:
            return None
        base.mkdir(parents=True, exist_ok=True)
    return FileSystemArtifactStore(str(base))


def fold_table(folds, forecasts) -> pd.DataFrame:
    """The validation forecasts of every fold as one long table (one row per day and step)."""
    parts = []
    for k, (fold, forecast) in enumerate(zip(folds, forecasts, strict=True)):
        parts.append(pd.DataFrame({"fold": k, **fold.val.long_index(), "actual": fold.val.Y.ravel(),
                                   "naive": fold.val.naive.ravel(), "forecast": np.asarray(forecast).ravel()}))
    return pd.concat(parts, ignore_index=True)


def upload_table(owner, store, table: pd.DataFrame) -> str:
    """Upload validation forecasts as an artifact of ``owner`` (a running trial, or a study); its id."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / FILENAME
        table.to_csv(path, index=False, float_format="%.6f")
        return upload_artifact(artifact_store=store, file_path=str(path), study_or_trial=owner, mimetype="text/csv")


def save_validation(trial: optuna.Trial, store, table: pd.DataFrame) -> str:
    """Upload a running trial's validation forecasts; the artifact's id goes in its user attributes."""
    artifact_id = upload_table(trial, store, table)
    trial.set_user_attr(KEY, artifact_id)
    return artifact_id


def validation_table(trial: optuna.trial.FrozenTrial, store) -> pd.DataFrame | None:
    """The trial's stored validation forecasts (fold, date, step, actual, naive, forecast); None when
    it has none or the store lost them (callers train the trial again, and say so)."""
    artifact_id = trial.user_attrs.get(KEY)
    if artifact_id is None or store is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / FILENAME
        try:
            download_artifact(artifact_store=store, file_path=str(path), artifact_id=artifact_id)
        except ArtifactNotFound:  # the store's folder was moved, or is another machine's
            return None
        return pd.read_csv(path, parse_dates=["date"])
