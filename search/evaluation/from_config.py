"""Retrain one configuration from a ``best_config.json`` alone, without its study.

The file holds the configuration, the data (path, sha256, split options), the epochs and seeds,
so the same test metrics come back on any machine with the same data. A hand-edited file is
checked against the family's declared space (the one the search samples) before anything trains:
a bad value is one line naming the key and its allowed range.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import spaces
from data import DataSpec
from search.errors import ResultsError
from search.evaluation.metrics import diebold_mariano, evaluate, rel_mae
from search.evaluation.options import Protocol
from search.evaluation.verdict import beats_naive
from search.files import write_json
from search.workspace import Workspace


@dataclass(frozen=True)
class ConfigFile:
    path: Path
    config: dict
    horizon: int
    data: DataSpec
    sha256: str
    epochs: int
    seeds: list[int]
    study: str
    trial: int | None


def _whole(value, key: str, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"{key} = {value!r}: allowed a whole number of at least {low}")
    return value


def read_config_file(path: Path) -> ConfigFile:
    """The file, checked: the JSON, its fields, and the configuration against its family's space."""
    path = Path(path)
    try:
        spec = json.loads(path.read_text())
        dataset = dict(spec["dataset"])
        seeds = spec["seeds"]
        if not isinstance(seeds, list) or not seeds:
            raise ValueError(f"seeds = {seeds!r}: allowed a non-empty list of whole numbers")
        out = ConfigFile(path, dict(spec["config"]), _whole(spec["horizon"], "horizon"), DataSpec.from_dict(dataset),
                         str(dataset["sha256"]), _whole(spec["epochs"], "epochs"),
                         [_whole(s, "seeds[]", 0) for s in seeds], str(spec["study"]), spec.get("trial"))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        what = f"missing key {err}" if isinstance(err, KeyError) else str(err)
        raise ResultsError(f"{path}: not a usable best_config.json ({what})") from None
    problems = spaces.problems(out.config)
    if problems:
        raise ResultsError(f"{path}: config: {problems[0]}" + (f" (and {len(problems) - 1} more)"
                                                              if len(problems) > 1 else ""))
    return out


def retrain_from_file(cf: ConfigFile, ws: Workspace) -> dict:
    """Retrain the file's configuration (static protocol); write and return its scores."""
    from search.engine.trainer import TrainingDiverged
    from search.evaluation.refit import forecast_config

    final = cf.data.final_data(cf.horizon, sha256=cf.sha256)
    out = ws.root / "from-config" / cf.study
    try:
        fc = forecast_config(cf.config, final, Protocol(), horizon=cf.horizon, epochs=cf.epochs, seeds=cf.seeds,
                             models_dir=out / "models", label=f"trial{cf.trial}")
    except TrainingDiverged as err:
        raise ResultsError(f"{cf.path}: the configuration does not train on this data: {err}") from None
    y, naive, fit_series = fc.test.Y, fc.test.naive, final.fit_series()
    runs = [evaluate(y, p, fit_series) for p in fc.per_seed]
    _, p = diebold_mariano(y, fc.mean, naive, horizon=cf.horizon)
    rel = rel_mae(y, fc.mean, naive)
    result = {"mean": {m: float(np.mean([r[m] for r in runs])) for m in runs[0]},
              "std": {m: float(np.std([r[m] for r in runs])) for m in runs[0]},
              "seed_mean_forecast": evaluate(y, fc.mean, fit_series), "rel_mae": rel, "dm_p": p,
              "beats_naive": beats_naive(rel, p), "seeds": fc.seeds,
              "models": [str(m.relative_to(out)) for m in fc.models]}
    write_json(out / "retrain.json", result)
    return result
