"""The one training loop: search trials, retraining and benchmarks all call :func:`train`.

Keras' ``fit`` spends most of a small forecaster's time in per-step Python overhead. Here a
chunk of epochs runs as one compiled ``tf.function`` (shuffle, batches, gradient steps) on data
kept as device tensors; between chunks the loop scores validation MASE in prices, stops early,
keeps the best weights and reports to a pruner.

Example:
    >>> result = train(model, config, train_w, val_w, epochs=50, patience=10)  # doctest: +SKIP
    >>> result.best_val_mase, result.best_epoch  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import gc
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf

import spaces
from data import Scaler, Windows
from search.metrics import mase


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite."""


@dataclass
class TrainResult:
    best_val_mase: float | None
    best_epoch: int
    epochs: int
    seconds: float
    n_params: int
    history: list[tuple[int, float]] = field(default_factory=list)  # (epoch, val MASE)
    train_loss: float = float("nan")
    scaler: Scaler | None = None


def use_gpu_if_present() -> list:
    """Let TensorFlow grow GPU memory as needed (several trials share one card); return the GPUs."""
    gpus = tf.config.list_physical_devices("GPU")
    for gpu in gpus:
        with contextlib.suppress(RuntimeError):  # already initialised: growth was set before
            tf.config.experimental.set_memory_growth(gpu, True)
    return gpus


def freeze_long_lived_objects() -> None:
    """Collect garbage once, then keep what lives now out of later collections' scans.

    TensorFlow and Keras hold ~10^6 long-lived Python objects, and ``keras.backend.clear_session()``
    after every trial runs a full collection that would walk them all (~50 ms per trial).
    Call it once, before a loop of trials.
    """
    gc.collect()
    gc.freeze()


def fit_scaler(config: dict, windows: Windows) -> Scaler:
    return Scaler.fit(config["scaler"], windows.X)


def predict(model: keras.Model, scaler: Scaler, windows: Windows, *, batch: int = 4096) -> np.ndarray:
    """Forecasts in prices, ``(n, horizon)``."""
    x = scaler.x(windows.X)
    out = np.concatenate([np.asarray(model(x[i : i + batch], training=False)) for i in range(0, len(x), batch)])
    return scaler.inverse_y(out, windows.X)


class FusedAdam:
    """Adam with one fused kernel per variable (``ResourceApplyAdam``).

    The update is Keras' ``Adam`` (beta 0.9/0.999, epsilon 1e-7, bias-corrected step size), but
    it traces about 3x faster: Keras 3's optimizer builds dozens of graph ops per variable, which
    dominates compile time for deep models such as a 30-stack N-BEATS.
    """

    def __init__(self, variables, learning_rate: float, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        self.variables = [getattr(v, "value", v) for v in variables]  # the tf.Variable under a KerasVariable
        self.m = [tf.Variable(tf.zeros_like(v), trainable=False) for v in self.variables]
        self.v = [tf.Variable(tf.zeros_like(v), trainable=False) for v in self.variables]
        self.step = tf.Variable(0.0, trainable=False)
        self.lr, self.beta_1, self.beta_2, self.epsilon = (
            tf.constant(x, tf.float32) for x in (learning_rate, beta_1, beta_2, epsilon))

    def apply(self, grads) -> None:
        self.step.assign_add(1.0)
        b1_power, b2_power = tf.pow(self.beta_1, self.step), tf.pow(self.beta_2, self.step)
        for var, m, v, g in zip(self.variables, self.m, self.v, grads, strict=True):
            tf.raw_ops.ResourceApplyAdam(var=var.handle, m=m.handle, v=v.handle, beta1_power=b1_power,
                                         beta2_power=b2_power, lr=self.lr, beta1=self.beta_1, beta2=self.beta_2,
                                         epsilon=self.epsilon, grad=g)


def _compiled_chunk(model, train_model, loss_fn, optimizer, X, Y, batch_size: int, val_x=None):
    """One ``tf.function``: ``n_epochs`` of shuffled mini-batch steps, then (with ``val_x``) the
    model's forecast of the validation windows, so a chunk costs one host round trip. An eager
    forward pass of a recurrent model runs its time loop in Python: ~0.3 s for a 3-layer LSTM
    over 88 days, against ~20 ms compiled."""
    n = int(X.shape[0])
    n_batches = math.ceil(n / batch_size)
    variables = train_model.trainable_variables

    # One flat loop over all steps, written without AutoGraph: it traces ~30% faster than nested
    # `for ... in tf.range` loops, and tracing is most of a small model's cost per trial.
    @tf.function(autograph=False)
    def run(n_epochs):
        orders = tf.argsort(tf.random.uniform([n_epochs, n]), axis=1)  # a fresh shuffle per epoch

        def step(i, total):
            order = orders[i // n_batches]
            idx = order[(i % n_batches) * batch_size : (i % n_batches + 1) * batch_size]
            with tf.GradientTape() as tape:
                loss = loss_fn(tf.gather(Y, idx), train_model(tf.gather(X, idx), training=True))
            optimizer.apply(tape.gradient(loss, variables))
            return i + 1, total + loss

        steps = n_epochs * n_batches
        _, total = tf.while_loop(lambda i, _: i < steps, step, [tf.constant(0), tf.constant(0.0)])
        mean_loss = total / tf.cast(steps, tf.float32)
        if val_x is None:
            return mean_loss, tf.zeros([0])
        return mean_loss, model(val_x, training=False)

    return run


def train(
    model: keras.Model,
    config: dict,
    train_w: Windows,
    val_w: Windows | None,
    *,
    epochs: int,
    patience: int | None = None,
    eval_every: int = 1,
    report: Callable[[int, float], None] | None = None,
    scaler: Scaler | None = None,
) -> TrainResult:
    """Train ``model`` on ``train_w``; with ``val_w``, early-stop on validation MASE and keep the
    best weights. ``report(epoch, val_mase)`` is called after every chunk of ``eval_every``
    epochs and may raise (``optuna.TrialPruned``) to stop. Without ``val_w`` it trains exactly
    ``epochs`` epochs (retraining on train + validation)."""
    start = time.perf_counter()
    scaler = scaler or fit_scaler(config, train_w)
    X = tf.constant(scaler.x(train_w.X))
    Y = tf.constant(scaler.y(train_w.Y, train_w.X))
    val_x = tf.constant(scaler.x(val_w.X)) if val_w is not None else None
    train_model, loss_fn = spaces.training_view(model, config)
    optimizer = FusedAdam(train_model.trainable_variables, config["learning_rate"])
    run = _compiled_chunk(model, train_model, loss_fn, optimizer, X, Y, int(config["batch_size"]), val_x)

    result = TrainResult(None, 0, 0, 0.0, model.count_params(), scaler=scaler)
    best_weights, since_best = None, 0
    chunk = max(1, eval_every) if val_w is not None else max(1, min(epochs, 50))
    while result.epochs < epochs:
        n = min(chunk, epochs - result.epochs)
        loss, val_pred = run(tf.constant(n))
        loss = float(loss)
        result.epochs += n
        result.train_loss = loss
        if not math.isfinite(loss):
            raise TrainingDiverged(f"training loss became {loss} at epoch {result.epochs}")
        if val_w is None:
            continue
        score = mase(val_w.Y, scaler.inverse_y(val_pred.numpy(), val_w.X))
        if not math.isfinite(score):
            raise TrainingDiverged(f"validation MASE became {score} at epoch {result.epochs}")
        result.history.append((result.epochs, score))
        if result.best_val_mase is None or score < result.best_val_mase:
            result.best_val_mase, result.best_epoch, since_best = score, result.epochs, 0
            best_weights = model.get_weights()
        else:
            since_best += n
        if report is not None:
            report(result.epochs, score)
        if patience is not None and since_best >= patience:
            break
    if best_weights is not None:
        model.set_weights(best_weights)
    if val_w is None:
        result.best_epoch = result.epochs
    result.seconds = time.perf_counter() - start
    return result
