"""Retrain one configuration from a ``best_config.json`` alone, without its study.

The file holds the configuration, the data (path, sha256, split options), the epochs and seeds,
so the same test metrics come back on any machine with the same data.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from search.engine.storage import RUNS
from search.engine.study import DataSpec
from search.errors import ResultsError
from search.evaluation.metrics import diebold_mariano, evaluate, rel_mae
from search.evaluation.refit import Protocol, forecast_config
from search.evaluation.verdict import beats_naive
from search.files import write_json


def retrain_from_file(path: Path, runs_dir: Path = RUNS) -> dict:
    """Retrain a ``best_config.json``'s configuration (static protocol); write and return its scores."""
    try:
        spec = json.loads(Path(path).read_text())
        config, horizon, dataset = spec["config"], int(spec["horizon"]), dict(spec["dataset"])
        sha256 = dataset.pop("sha256")
        data = DataSpec.from_dict(dataset)
        epochs, seeds, trial, study = int(spec["epochs"]), list(spec["seeds"]), spec["trial"], spec["study"]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ResultsError(f"{path}: not a usable best_config.json ({type(err).__name__}: {err})") from None
    final = data.final_data(horizon, sha256=sha256)
    out = runs_dir / f"{study}-from-config"
    fc = forecast_config(config, final, Protocol(), horizon=horizon, epochs=epochs, seeds=seeds,
                         models_dir=out / "models", label=f"trial{trial}")
    y, naive, fit_series = fc.test.Y, fc.test.naive, final.fit_series()
    runs = [evaluate(y, p, fit_series) for p in fc.per_seed]
    _, p = diebold_mariano(y, fc.mean, naive, horizon=horizon)
    rel = rel_mae(y, fc.mean, naive)
    result = {"mean": {m: float(np.mean([r[m] for r in runs])) for m in runs[0]},
              "std": {m: float(np.std([r[m] for r in runs])) for m in runs[0]},
              "seed_mean_forecast": evaluate(y, fc.mean, fit_series), "rel_mae": rel, "dm_p": p,
              "beats_naive": beats_naive(rel, p), "models": [str(m.relative_to(out)) for m in fc.models]}
    write_json(out / "retrain.json", result)
    return result
