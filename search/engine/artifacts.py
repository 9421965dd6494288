"""Each completed trial's validation forecasts, kept beside the trial in Optuna's artifact store.

One CSV per trial (``validation.csv``: fold, date, step, actual, naive, forecast) holds what its
score was computed from. Retraining reads it to fit the shrinkage toward naive and to calibrate
intervals; ensemble selection reads the top trials' tables of several studies. optuna-dashboard
lists them under each trial. The store is a folder (``runs/artifacts``) beside the storage.

Example:
    >>> store = artifact_store(Path("runs"))  # doctest: +SKIP
    >>> table = validation_table(trial, store)  # doctest: +SKIP
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

FILENAME = "validation.csv"
KEY = "validation_artifact"


def artifact_store(runs_dir: Path, *, create: bool = True) -> FileSystemArtifactStore | None:
    """The store under ``runs_dir``; None when it does not exist and ``create`` is false."""
    base = Path(runs_dir) / "artifacts"
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


def save_validation(trial: optuna.Trial, store, table: pd.DataFrame) -> str:
    """Upload the table as the trial's artifact; its id is kept in the user attribute ``KEY``."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / FILENAME
        table.to_csv(path, index=False, float_format="%.6f")
        artifact_id = upload_artifact(artifact_store=store, file_path=str(path), study_or_trial=trial,
                                      mimetype="text/csv")
    trial.set_user_attr(KEY, artifact_id)
    return artifact_id


def validation_table(trial: optuna.trial.FrozenTrial, store) -> pd.DataFrame | None:
    """The trial's stored validation forecasts, or None when it has none (keras-tuner trials)."""
    artifact_id = trial.user_attrs.get(KEY)
    if artifact_id is None or store is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / FILENAME
        try:
            download_artifact(artifact_store=store, file_path=str(path), artifact_id=artifact_id)
        except Exception:  # the store's folder was moved or deleted: retraining recomputes
            return None
        return pd.read_csv(path, parse_dates=["date"])
