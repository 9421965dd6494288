"""The one trainer: a group of G models of one configuration in one compiled loop.

Search trials (one member per walk-forward fold), retraining (one per seed), rolling refits (one
per origin) and benchmarks all call :func:`train_group`; :func:`train` is a group of one. Small
forecasters spend their time in per-step overhead, so G models that differ only in seed or data
share every step: their weights live side by side in one ``(G, P)`` variable, each step gathers a
mini-batch per member, runs every member's forward pass, and applies one masked Adam update.

Each member keeps its own scaler, shuffles, early stopping, best weights and validation score,
and its result equals training it alone (a test checks this): shuffles come from the member's
seed and epoch, not from the group; a member with fewer batches than the others sits out the
steps it lacks (its Adam state does not move, as a zero gradient would make it); the rows that
pad a short member's last batch are masked out of its loss.

Example (two seeds of a small dense model on a random walk, side by side):
    >>> import numpy as np, pandas as pd
    >>> from data import make_windows
    >>> walk = 100 + np.cumsum(np.random.default_rng(0).normal(size=400))
    >>> w = make_windows(pd.DataFrame({"price": walk}, index=pd.date_range("2020-01-01", periods=400)),
    ...                  window=7, horizon=1)
    >>> train_w = type(w)(w.X[:300], w.Y[:300], w.days[:300])
    >>> val_w = type(w)(w.X[300:], w.Y[300:], w.days[300:])
    >>> config = {"family": "dense", "window": 7, "scaler": "logrel", "learning_rate": 1e-3, "batch_size": 64,
    ...           "loss": "mae", "dropout": 0.0, "layers": 1, "units": 16, "activation": "relu"}
    >>> results = train_group(config, [Member(train_w, val_w, seed=0), Member(train_w, val_w, seed=1)],
    ...                       epochs=6, eval_every=3)
    >>> [len(r.history) for r in results], all(0.5 < r.best_val_mase < 2 for r in results)
    ([2, 2], True)
"""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import keras
import numpy as np

import spaces
from data import Scaler, Windows
from search.engine import backend, interrupts
from search.engine.group import shuffles
from search.evaluation.metrics import mase

MODES = ("branches", "vectorized")


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite."""


class OutOfMemory(RuntimeError):
    """The group did not fit in the accelerator's (or host's) memory."""


class GroupError(ValueError):
    """Members that cannot train as one group (none, or different shapes)."""


@dataclass(frozen=True)
class Member:
    """One model of a group: its training windows, optional validation windows, and its seed.

    ``start`` (an earlier model of the same configuration) warm-starts it from that model's weights."""

    train: Windows
    val: Windows | None = None
    seed: int = 0
    start: keras.Model | None = None


@dataclass
class TrainResult:
    model: keras.Model
    scaler: Scaler
    best_val_mase: float | None = None
    best_epoch: int = 0
    epochs: int = 0
    history: list[tuple[int, float]] = field(default_factory=list)  # (epoch, val MASE)
    val_forecast: np.ndarray | None = None  # the kept weights' validation forecast, in prices
    last_forecast: np.ndarray | None = None  # the latest chunk's
    train_loss: float = float("nan")
    seconds: float = 0.0  # the group's wall time
    stopped: bool = False
    diverged: str | None = None  # why this member stopped on a non-finite loss or score

    @property
    def n_params(self) -> int:
        return self.model.count_params()


def raise_if_diverged(results: list[TrainResult]) -> None:
    """For callers that need every member (a trial's folds): one diverged member fails them all."""
    for r in results:
        if r.diverged:
            raise TrainingDiverged(r.diverged)

def use_gpu_if_present() -> list:
    """The GPUs the backend trains on (TensorFlow's memory set to grow: trials share one card)."""
    return backend.gpus()


def freeze_long_lived_objects() -> None:
    """Collect garbage once, then keep what lives now out of later collections' scans.

    TensorFlow and Keras hold ~10^6 long-lived Python objects, and ``keras.backend.clear_session()``
    after every trial runs a full collection that would walk them all (~50 ms per trial). Call it
    once where a process starts its loop of trials.
    """
    gc.collect()
    gc.freeze()


def predict(model: keras.Model, scaler: Scaler, windows: Windows, *, batch: int = 4096) -> np.ndarray:
    """Forecasts in prices, ``(n, horizon)``."""
    x = scaler.x(windows.X)
    out = np.concatenate([np.asarray(model(x[i : i + batch], training=False)) for i in range(0, len(x), batch)])
    return scaler.inverse_y(out, windows.X)


def make_group(config: dict, members: list, scalers: list[Scaler], mode: str, capacity: int | None = None):
    """The compiled group of the backend Keras runs on."""
    if backend.name() == "jax":
        from search.engine.group_jax import JaxGroup as cls
    else:
        from search.engine.group_tf import TFGroup as cls
    return cls(config, members, scalers, mode, capacity)


def _check(members: list[Member]) -> None:
    if not members:
        raise GroupError("a group needs at least one member")
    shapes = {(m.train.X.shape[1:], m.train.Y.shape[1]) for m in members}
    if len(shapes) > 1:
        raise GroupError(f"members differ in window, feature or horizon shape: {sorted(shapes)}")
    for k, m in enumerate(members):
        if len(m.train) == 0:
            raise GroupError(f"member {k} has no training windows")
        if m.val is not None and len(m.val) == 0:
            raise GroupError(f"member {k} has no validation windows")


def train_group(
    config: dict,
    members: list[Member],
    *,
    epochs: int,
    patience: int | None = None,
    eval_every: int | Callable[[keras.Model], int] = 1,
    report: Callable[[int, list[TrainResult]], None] | None = None,
    mode: str | None = None,
) -> list[TrainResult]:
    """Train one model of ``config`` per member, side by side; return their results in order.

    With validation windows, each member early-stops on its validation MASE (``patience`` epochs)
    and keeps its best weights; ``report(epoch, results)`` is called after every chunk of
    ``eval_every`` epochs (or as many as ``eval_every(model)`` says, once the model is built) and
    may raise (``optuna.TrialPruned``) to stop. Without them, every
    member trains exactly ``epochs`` epochs (retraining on everything before the test split).
    A member whose loss or score becomes NaN or infinite stops alone, with ``diverged`` saying why;
    the others train on.
    ``mode`` is how the members' forward passes run: ``branches`` (one per member, in one graph;
    what each member gets alone, to float rounding: bit for bit in small groups, while larger ones
    may share threads differently) or ``vectorized`` (``tf.vectorized_map``: batched kernels, one
    graph whatever G; on JAX, ``jax.vmap``). By default on TensorFlow, vectorized for more than 8
    members on a GPU, where a graph of G branches would take long to trace, branches otherwise
    (faster on a CPU); on JAX, always vectorized.
    """
    _check(members)
    if mode is None:
        mode = default_mode(len(members))
    if mode not in MODES:
        raise GroupError(f"unknown mode {mode!r}; choose from {', '.join(MODES)}")
    start = time.perf_counter()
    try:
        return _train_group(config, members, start, epochs=epochs, patience=patience, eval_every=eval_every,
                            report=report, mode=mode)
    except backend.memory_errors() as err:
        _raise_if_out_of_memory(err, len(members))
        raise


def default_mode(size: int) -> str:
    if backend.name() == "jax":
        return "vectorized"
    return "vectorized" if size > 8 and backend.gpus() else "branches"


def _raise_if_out_of_memory(err: BaseException, size: int) -> None:
    if backend.is_out_of_memory(err):
        raise OutOfMemory(f"out of memory with {size} member(s): {str(err).splitlines()[0][:200]}") from None


def _train_group(config, members, start, *, epochs, patience, eval_every, report, mode) -> list[TrainResult]:
    scalers = [Scaler.fit(config["scaler"], m.train.X) for m in members]
    group = make_group(config, members, scalers, mode)
    every = eval_every(group.models[0]) if callable(eval_every) else eval_every
    return _fit(group, members, scalers, start, epochs=epochs, patience=patience, every=every, report=report)


def _fit(group, members, scalers, start, *, epochs, patience, every, report, chunk=None) -> list[TrainResult]:
    """The chunk loop: train, score, early-stop and keep each member's best weights."""
    results = [TrainResult(model, scaler) for model, scaler in zip(group.models, scalers, strict=True)]
    has_val = members[0].val is not None
    best_rows: list[np.ndarray | None] = [None] * len(members)
    since_best = [0] * len(members)
    chunk = chunk or (max(1, every) if has_val else max(1, min(epochs, 50)))
    done = 0
    while done < epochs and not all(r.stopped for r in results):
        n = min(chunk, epochs - done)
        orders = np.stack([shuffles(m.seed, len(m.train), done, chunk, group.width) for m in members])
        loss, val_pred = group.run(orders, n)
        interrupts.check()  # a Ctrl-C that landed in a finaliser during the run
        done += n
        for g, r in enumerate(results):
            if r.stopped:
                continue
            r.epochs, r.train_loss = done, float(loss[g])
            score = _score(r, members[g].val, val_pred[g] if has_val else None)
            for what, value in (("training loss", r.train_loss), ("validation MASE", score)):
                if not math.isfinite(value) and not r.diverged:
                    r.diverged, r.stopped = f"{what} became {value} at epoch {done}", True
            if r.diverged:
                group.drop(g)
                continue
            if not has_val:
                continue
            r.history.append((done, score))
            if r.best_val_mase is None or score < r.best_val_mase:
                r.best_val_mase, r.best_epoch, r.val_forecast, since_best[g] = score, done, r.last_forecast, 0
                best_rows[g] = group.row(g)
            else:
                since_best[g] += n
            r.stopped = patience is not None and since_best[g] >= patience
        if report is not None:
            report(done, results)
    final = group.rows()
    for g, r in enumerate(results):
        group.set_weights(g, best_rows[g] if best_rows[g] is not None else final[g])
        if not has_val:
            r.best_epoch = r.epochs
        r.seconds = time.perf_counter() - start
    return results


def train_stages(config: dict, stages: list[list[Member]], *, epochs: list[int], each, mode: str | None = None) -> None:
    """Warm refits in one compiled group: the members of ``stages[k]`` (the same seeds, new windows)
    start from where ``stages[k - 1]`` ended and train ``epochs[k]`` epochs, with a fresh Adam and
    scalers fitted on their own windows, exactly as separate warm-started groups would; the loop is
    traced once. ``each(k, results)`` is called after every stage, while the models hold its weights."""
    mode = mode or ("vectorized" if backend.name() == "jax" else "branches")
    start = time.perf_counter()
    capacity = max(len(m.train) for members in stages for m in members)
    scalers = [Scaler.fit(config["scaler"], m.train.X) for m in stages[0]]
    try:
        group = make_group(config, stages[0], scalers, mode, capacity=capacity)
        chunk = max(1, min(max(epochs), 50))
        for k, members in enumerate(stages):
            if k:
                scalers = [Scaler.fit(config["scaler"], m.train.X) for m in members]
                group.load(members, scalers)
            each(k, _fit(group, members, scalers, start, epochs=epochs[k], patience=None, every=chunk, report=None,
                         chunk=chunk))
    except backend.memory_errors() as err:
        _raise_if_out_of_memory(err, len(stages[0]))
        raise


def _score(r: TrainResult, val: Windows | None, pred) -> float:
    """The member's validation MASE of this chunk (0 without validation windows)."""
    if val is None:
        return 0.0
    r.last_forecast = r.scaler.inverse_y(pred[: len(val)], val.X)
    return mase(val.Y, r.last_forecast)


def group_size(config: dict) -> int:
    """How many members of ``config`` train side by side here: the family's hint on a CPU (see
    ``spaces.group_size``), every member at once on a GPU."""
    return spaces.group_size(config, gpu=bool(backend.gpus()))


def train(config: dict, train_w: Windows, val_w: Windows | None = None, *, seed: int = 0, epochs: int,
          **options) -> TrainResult:
    """Train one model: a group of one (see :func:`train_group` for the options)."""
    return train_group(config, [Member(train_w, val_w, seed)], epochs=epochs, **options)[0]
