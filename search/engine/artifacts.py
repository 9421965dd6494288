"""Validation forecasts, kept beside their trial or study in Optuna's artifact store.

One CSV per completed trial (``validation.csv``: fold, date, step, actual, naive, forecast) holds
what its score was computed from, and one per study holds naive's and the classical baselines'
forecasts of the same days. Retraining reads them to fit the shrinkage toward naive and to
calibrate intervals; ensemble selection reads the top trials' tables of several studies.
optuna-dashboard lists them. The store is a folder (``runs/artifacts``) beside the storage.

Example (a study's table saved beside it and read back from its attributes):
    >>> import tempfile
    >>> runs = Path(tempfile.mkdtemp())
    >>> store = artifact_store(runs)
    >>> study = optuna.create_study(storage=f"sqlite:///{runs}/demo.db")
    >>> table = pd.DataFrame({"fold": [0, 0], "date": pd.to_datetime(["2024-01-01", "2024-01-02"]),
    ...                       "actual": [10.0, 11.0], "naive": [9.0, 10.0]})
    >>> _ = save_table(study, store, table, key="baselines", filename="baselines.csv")
    >>> load_table(study.user_attrs, store, key="baselines").equals(table)
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

FILENAME = "validation.csv"
KEY = "validation_artifact"
BASELINES_KEY = "baselines_artifact"  # the study's naive and classical forecasts of the same days


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


def save_table(owner, store, table: pd.DataFrame, *, key: str, filename: str) -> str:
    """Upload ``table`` as an artifact of ``owner`` (a trial or a study); its id goes in user attribute ``key``."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / filename
        table.to_csv(path, index=False, float_format="%.6f")
        artifact_id = upload_artifact(artifact_store=store, file_path=str(path), study_or_trial=owner,
                                      mimetype="text/csv")
    owner.set_user_attr(key, artifact_id)
    return artifact_id


def load_table(user_attrs: dict, store, *, key: str) -> pd.DataFrame | None:
    """The table whose artifact id is in ``user_attrs[key]``; None when there is none (keras-tuner
    trials, studies made before) or the store lost it (callers recompute)."""
    artifact_id = user_attrs.get(key)
    if artifact_id is None or store is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "table.csv"
        try:
            download_artifact(artifact_store=store, file_path=str(path), artifact_id=artifact_id)
        except Exception:  # the store's folder was moved or deleted
            return None
        return pd.read_csv(path, parse_dates=["date"])


def save_validation(trial: optuna.Trial, store, table: pd.DataFrame) -> str:
    return save_table(trial, store, table, key=KEY, filename=FILENAME)


def validation_table(trial: optuna.trial.FrozenTrial, store) -> pd.DataFrame | None:
    """The trial's stored validation forecasts (fold, date, step, actual, naive, forecast)."""
    return load_table(trial.user_attrs, store, key=KEY)
