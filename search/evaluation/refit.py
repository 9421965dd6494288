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

from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np

import spaces
from data import FinalData, Windows
from search.engine.trainer import Member, group_size, predict, train_group
from search.files import write_json, write_with


@dataclass(frozen=True)
class Protocol:
    refit_every: int = 0
    warm: bool = False

    @property
    def key(self) -> str:
        return "static" if not self.refit_every else f"refit{self.refit_every}" + ("-warm" if self.warm else "")

    @property
    def label(self) -> str:
        if not self.refit_every:
            return "static fit"
        return f"refit every {self.refit_every} days ({'warm start' if self.warm else 'from scratch'})"

    def warm_epochs(self, epochs: int) -> int:
        """Epochs of a warm-started refit: a fifth of a fit from scratch, at least one."""
        return max(1, epochs // 5)


@dataclass
class ConfigForecast:
    test: Windows  # every test window, in order
    per_seed: list[np.ndarray]  # (n, horizon) forecasts in prices, one per seed
    models: list[Path] = field(default_factory=list)  # saved .keras files (static protocol)
    spread: np.ndarray | None = None  # members' (ensemble family) or seeds' forecasts, (n, k, horizon)
    seconds: float = 0.0

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
    pieces = {seed: [] for seed in seeds}
    seconds, first_results = 0.0, None
    if not protocol.warm:
        pairs = [(segment, seed) for segment in segments for seed in seeds]
        size = group_cap or group_size(config)
        for start in range(0, len(pairs), size):
            chunk = pairs[start : start + size]
            members = [Member(seg.fit, None, seed) for seg, seed in chunk]
            results = train_group(config, members, epochs=epochs)
            seconds += results[0].seconds
            first_results = first_results or results
            for (seg, seed), r in zip(chunk, results, strict=True):
                pieces[seed].append(predict(r.model, r.scaler, seg.test))
            if protocol.refit_every == 0 and models_dir is not None:
                for (_, seed), r in zip(chunk, results, strict=True):
                    save_model(models_dir / f"{label}-seed{seed}.keras", r.model, r.scaler)
            if protocol.refit_every:
                keras.backend.clear_session()
    else:
        previous = {}
        for k, seg in enumerate(segments):
            members = [Member(seg.fit, None, seed, start=previous.get(seed)) for seed in seeds]
            results = train_group(config, members, epochs=epochs if k == 0 else protocol.warm_epochs(epochs))
            seconds += results[0].seconds
            for member, r in zip(members, results, strict=True):
                pieces[member.seed].append(predict(r.model, r.scaler, seg.test))
                previous[member.seed] = r.model
    out = ConfigForecast(test, [np.concatenate(pieces[s]) for s in seeds], seconds=seconds)
    if protocol.refit_every == 0 and models_dir is not None:
        out.models = [models_dir / f"{label}-seed{s}.keras" for s in seeds]
    out.spread = np.stack(out.per_seed, axis=1)
    if config["family"] == "ensemble" and protocol.refit_every == 0:
        out.spread = _members(first_results[0], test)
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


def _members(r, test: Windows) -> np.ndarray:
    """An ensemble's members' forecasts in prices, ``(n, members, horizon)`` (the seed's band)."""
    raw = spaces.family("ensemble").member_predictions(r.model, r.scaler.x(test.X))
    return np.stack([r.scaler.inverse_y(raw[:, k], test.X) for k in range(raw.shape[1])], axis=1)
