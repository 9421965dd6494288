"""Fit a configuration as the final evaluation does, under one test protocol, with several seeds.

- **static** (``refit_every = 0``, the seed's protocol): one fit per seed on every day before the
  test split, then a forecast of every test day from the actual prices before it.
- **rolling origin** (``refit_every = D``): at each origin, every D days from the first test day,
  refit on every day before it and forecast the next D days. From scratch, all origins × seeds
  train side by side as one group; with ``warm``, each refit starts from the previous origin's
  weights and trains ``warm_epochs`` (what practitioners do to save time), seeds side by side.

Usage (``final`` is a :class:`data.FinalData`; a test runs this on the BTC file)::

    fc = forecast_config(config, final, Protocol(30), horizon=1, epochs=40, seeds=[0, 1, 2])
    fc.mean.shape == fc.actual.shape  # one forecast per test day and step, averaged over seeds
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np

import spaces
from data import FinalData, Windows
from search.engine.trainer import (
    Member,
    TrainingDiverged,
    group_size,
    predict,
    train_group,
    train_stages,
)
from search.evaluation.options import Protocol, TestProtocols  # noqa: F401  (re-exported: callers import it here)
from search.files import write_json, write_with


def retrain_epochs(trial) -> int:
    """Epochs a trial's configuration trains on every day before test: its folds' typical best epoch
    (a trial that did not record one, from keras-tuner say, trains its epoch cap)."""
    attrs = trial.user_attrs
    return max(1, int(attrs.get("best_epoch") or attrs["config"]["epochs"]))


@dataclass
class ConfigForecast:
    test: Windows  # every test window, in order
    per_seed: list[np.ndarray]  # (n, horizon) forecasts in prices, one per seed that trained
    seeds: list[int] = field(default_factory=list)  # those seeds (a diverged one is dropped)
    models: list[Path] = field(default_factory=list)  # saved .keras files (static protocol)
    spread: np.ndarray | None = None  # members' (ensemble family) or seeds' forecasts, (n, k, horizon)
    seconds: float = 0.0
    diverged: dict[int, str] = field(default_factory=dict)  # seed -> why it was dropped

    @property
    def mean(self) -> np.ndarray:
        return np.mean(self.per_seed, axis=0)


def forecast_config(config: dict, final: FinalData, protocol: Protocol, *, horizon: int, epochs: int,
                    seeds: list[int], models_dir: Path | None = None, label: str = "",
                    group_cap: int | None = None) -> ConfigForecast:
    """Forecasts of every test day by ``config`` under ``protocol``, one per seed. Models train in
    groups of ``group_cap`` (default :func:`~search.engine.trainer.group_size`); 1 is one by one."""
    data = final.with_features(spaces.features(config))
    segments = data.segments(window=config["window"], horizon=horizon, refit_every=protocol.refit_every)
    test = data.test(window=config["window"], horizon=horizon)
    pieces, diverged = {seed: [] for seed in seeds}, {}
    seconds, spread = 0.0, None
    if not protocol.warm:
        pairs = [(segment, seed) for segment in segments for seed in seeds]
        size = group_cap or group_size(config)
        for start in range(0, len(pairs), size):
            chunk = pairs[start : start + size]
            results = train_group(config, [Member(seg.fit, None, seed) for seg, seed in chunk], epochs=epochs)
            seconds += results[0].seconds
            for (seg, seed), r in zip(chunk, results, strict=True):
                if r.diverged:
                    diverged.setdefault(seed, r.diverged)
                    continue
                pieces[seed].append(predict(r.model, r.scaler, seg.test))
                if protocol.refit_every == 0 and models_dir is not None:
                    save_model(models_dir / f"{label}-seed{seed}.keras", r.model, r.scaler)
                if spread is None and protocol.refit_every == 0:
                    spread = _members(config, r, test)
            if protocol.refit_every:
                keras.backend.clear_session()
    else:
        def each(k, results):
            for (seed, r) in zip(seeds, results, strict=True):
                if r.diverged:
                    diverged.setdefault(seed, r.diverged)
                elif seed not in diverged:
                    pieces[seed].append(predict(r.model, r.scaler, segments[k].test))

        stages = [[Member(seg.fit, None, seed) for seed in seeds] for seg in segments]
        started = time.perf_counter()
        train_stages(config, stages, epochs=[epochs] + [protocol.warm_epochs(epochs)] * (len(segments) - 1),
                     each=each)
        seconds = time.perf_counter() - started
    kept = [s for s in seeds if s not in diverged]
    if not kept:
        raise TrainingDiverged(f"every seed diverged ({diverged[seeds[0]]})")
    out = ConfigForecast(test, [np.concatenate(pieces[s]) for s in kept], seeds=kept, seconds=seconds,
                         diverged=diverged)
    if protocol.refit_every == 0 and models_dir is not None:
        out.models = [models_dir / f"{label}-seed{s}.keras" for s in kept]
    out.spread = spread if spread is not None else np.stack(out.per_seed, axis=1)
    keras.backend.clear_session()
    return out


def save_model(path: Path, model, scaler) -> None:
    """The model (``.keras``) and, beside it, the scaler its inputs and forecasts go through."""
    write_with(path, model.save)
    write_json(path.with_suffix(".scaler.json"), scaler.to_dict())


def load_model(path: Path):
    """A saved model and its scaler, ready for :func:`~search.engine.trainer.predict`."""
    import json

    from data import Scaler

    scaler = Scaler(**json.loads(Path(path).with_suffix(".scaler.json").read_text()))
    return keras.models.load_model(path), scaler


def _members(config: dict, r, test: Windows) -> np.ndarray | None:
    """A model's members' forecasts in prices, ``(n, members, horizon)`` (the seed's band), if it has members."""
    raw = spaces.member_predictions(r.model, config, r.scaler.x(test.X))
    if raw is None:
        return None
    return np.stack([r.scaler.inverse_y(raw[:, k], test.X) for k in range(raw.shape[1])], axis=1)
