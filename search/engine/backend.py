"""The little that differs between Keras' backends: devices, memory errors, batching members.

The trainer's group step is written once against ``keras.ops`` and ``Model.stateless_call``
(:mod:`search.engine.group`); what it needs from the backend underneath is here, and in the two
compiled loops (:mod:`search.engine.group_tf`, :mod:`search.engine.group_jax`) that take the
gradient (``GradientTape`` or ``jax.value_and_grad``) and run the steps (``tf.while_loop`` or
``lax.fori_loop``). TensorFlow is the default; ``KERAS_BACKEND=jax`` (or ``--backend jax``,
which sets it before Keras loads) switches. Nothing here imports a backend Keras does not use,
so the JAX path runs where TensorFlow is not installed.

Example:
    >>> name() in BACKENDS
    True
"""

from __future__ import annotations

import os

BACKENDS = ("tensorflow", "jax")


def name() -> str:
    """The backend Keras runs on (``keras.backend.backend()``), read without importing Keras."""
    if "keras" in __import__("sys").modules:
        import keras

        return keras.backend.backend()
    return os.environ.get("KERAS_BACKEND", "tensorflow")


def choose(backend: str | None) -> None:
    """Make ``backend`` Keras' backend; it must come before Keras is first imported."""
    if backend is None:
        return
    import sys

    if "keras" in sys.modules and sys.modules["keras"].backend.backend() != backend:
        raise RuntimeError(f"Keras already runs on {name()}; set KERAS_BACKEND={backend} before it loads")
    os.environ["KERAS_BACKEND"] = backend


def gpus() -> list:
    """The GPUs the backend sees (TensorFlow's memory set to grow: several trials share one card)."""
    if name() == "jax":
        import jax

        return [d for d in jax.devices() if d.platform == "gpu"]
    import contextlib

    import tensorflow as tf

    found = tf.config.list_physical_devices("GPU")
    for gpu in found:
        with contextlib.suppress(RuntimeError):  # already initialised: growth was set before
            tf.config.experimental.set_memory_growth(gpu, True)
    return found


def is_out_of_memory(err: BaseException) -> bool:
    """Whether ``err`` is the backend saying the accelerator's (or host's) memory ran out."""
    if name() == "jax":
        return "RESOURCE_EXHAUSTED" in str(err)
    import tensorflow as tf

    return isinstance(err, tf.errors.ResourceExhaustedError)


def memory_errors() -> tuple[type[BaseException], ...]:
    """The exception types an out-of-memory error arrives as (checked with :func:`is_out_of_memory`)."""
    if name() == "jax":
        from jax.errors import JaxRuntimeError

        return (JaxRuntimeError,)
    import tensorflow as tf

    return (tf.errors.ResourceExhaustedError,)


def vmap(fn):
    """``fn`` over the leading axis of its arguments, as one batched computation."""
    if name() == "jax":
        import jax

        return jax.vmap(fn)
    import tensorflow as tf

    return lambda *args: tf.vectorized_map(lambda a: fn(*a), args)
