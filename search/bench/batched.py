"""G models of one configuration trained as one group vs one after another.

Each family's seed preset (with log-return scaling, so that it learns; Conv1D and LSTM reading W
timesteps, their costlier layout) trains G times with seeds
0..G-1 on the last validation fold, early-stopping on it: once one by one, once as a group. The
ratio is the one-by-one wall time over the group's; each member's validation MASE is reported both
ways (they agree to float rounding: same shuffles, same masked updates). Peak RSS per group size
is measured in a fresh process each.
"""

from __future__ import annotations

import multiprocessing
import resource
import time

from search.bench.common import progress


def _config(family: str) -> dict:
    """The family's seed preset, scaled so that it learns, reading W timesteps (the costlier layout)."""
    import spaces

    config = {**spaces.preset(spaces.seed_preset(family)), "scaler": "logrel"}
    return {**config, "layout": "steps"} if "layout" in config else config


def _members(search, config, groups: int):
    from search.engine.trainer import Member

    fold = search.with_features([]).folds(window=config["window"], horizon=1)[-1]
    return [Member(fold.train, fold.val, seed=g) for g in range(groups)]


def _timed(config, members, epochs, mode) -> tuple[float, list[float]]:
    import keras

    from search.engine.trainer import train_group

    start = time.perf_counter()
    results = train_group(config, members, epochs=epochs, patience=20, eval_every=5, mode=mode)
    seconds = time.perf_counter() - start
    keras.backend.clear_session()
    return seconds, [r.best_val_mase for r in results]


def one_family(search, family: str, groups: int, epochs: int, mode: str) -> dict:
    from search.engine.trainer import freeze_long_lived_objects

    config = _config(family)
    members = _members(search, config, groups)
    _timed(config, members[:1], 2, mode)  # warm-up: TensorFlow's first graph costs seconds once
    freeze_long_lived_objects()
    alone, alone_scores = 0.0, []
    for m in members:
        seconds, (score,) = _timed(config, [m], epochs, mode)
        alone += seconds
        alone_scores.append(score)
    together, scores = _timed(config, members, epochs, mode)
    diffs = [abs(b / a - 1) for a, b in zip(alone_scores, scores, strict=True)]
    return {"family": family, "group": groups, "epochs": epochs, "mode": mode, "one_by_one_s": alone,
            "batched_s": together, "ratio": alone / together, "val_mase_one_by_one": alone_scores,
            "val_mase_batched": scores, "max_rel_diff": max(diffs)}


def _peak(data: str, family: str, groups: int, epochs: int, mode: str, queue) -> None:
    from search import cli
    from search.bench.common import search_data

    cli.load_backend()
    from search.engine.trainer import train_group

    search = search_data(data)
    config = _config(family)
    train_group(config, _members(search, config, groups), epochs=epochs, patience=20, eval_every=5, mode=mode)
    queue.put(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def peak_rss_mb(data: str, family: str, groups: int, epochs: int, mode: str) -> float:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    proc = context.Process(target=_peak, args=(data, family, groups, epochs, mode, queue))
    proc.start()
    value = queue.get()
    proc.join()
    return value


def bench_batched(search, data: str, families, groups, epochs: int, mode: str) -> dict:
    out = {"runs": [], "peak_rss_mb": {}}
    for family in families:
        for g in groups:
            out["runs"].append(one_family(search, family, g, epochs, mode))
            progress(f"batched: {out['runs'][-1]}")
    for g in sorted({1, *groups}):
        out["peak_rss_mb"][g] = peak_rss_mb(data, "dense", g, epochs, mode)
        progress(f"batched: dense peak RSS at G={g}: {out['peak_rss_mb'][g]:.0f} MB")
    return out


def _device_peak_mb() -> float | None:
    """The accelerator's peak memory in use so far (JAX on a GPU), or None where it is not known."""
    from search.engine import backend

    if backend.name() != "jax" or not backend.gpus():
        return None
    stats = backend.gpus()[0].memory_stats() or {}
    return stats.get("peak_bytes_in_use", 0) / 2**20 or None


def bench_groups(search, families, groups, epochs: int, mode: str | None) -> dict:
    """Groups only, each size trained twice: per-model time against G = 1's, for an accelerator.

    One by one at G = 128 would train 128 models singly per size, too long on a lent device; the
    per-model gain is what G = 1's group time says instead. The first time of each size includes its
    compilation (a trial pays it too); the second runs with JAX's persistent compilation cache
    warm, which is nearer the steady state (TensorFlow retraces either way).
    """
    import tempfile

    from search.engine import backend

    if backend.name() == "jax":
        import jax

        jax.config.update("jax_compilation_cache_dir", tempfile.mkdtemp(prefix="bitpredict-xla-"))
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    out = {"backend": backend.name(), "gpus": len(backend.gpus()), "epochs": epochs, "runs": []}
    for family in families:
        config = _config(family)
        # The process's first steps cost seconds once; a size not timed keeps the cache honest.
        _timed(config, _members(search, config, max(groups) + 1), 1, mode)
        for g in groups:
            members = _members(search, config, g)
            row = {"family": family, "group": g}
            for key in ("first", "again"):
                row[f"{key}_s"], row[f"val_mase_{key}"] = _timed(config, members, epochs, mode)
            row["val_mase_median"] = sorted(row["val_mase_again"])[g // 2]
            row["device_peak_mb"] = _device_peak_mb()
            out["runs"].append(row)
            progress(f"groups: {row}")
    return out


def bench_retrain(search_final, families, seeds: int, configs: int) -> dict:
    """The static retrain of ``configs`` configurations × ``seeds`` seeds, end to end (fit, forecast,
    save), with each configuration's seeds as one group vs one model at a time."""
    import tempfile
    from pathlib import Path

    import keras

    from search.bench.trainer import configs as sample
    from search.engine.trainer import freeze_long_lived_objects
    from search.evaluation import refit

    out = {"seeds": seeds, "configs": configs, "runs": []}
    freeze_long_lived_objects()
    for family in families:
        chosen = [{**c, "epochs": 100} for c in sample(family, configs)]
        times = {}
        for cap, key in ((1, "one_by_one_s"), (None, "batched_s")):
            start = time.perf_counter()
            with tempfile.TemporaryDirectory() as tmp:
                for k, config in enumerate(chosen):
                    refit.forecast_config(config, search_final, refit.Protocol(), horizon=1, epochs=config["epochs"],
                                          seeds=list(range(seeds)), models_dir=Path(tmp), label=f"c{k}", group_cap=cap)
                    keras.backend.clear_session()
            times[key] = time.perf_counter() - start
        out["runs"].append({"family": family, **times, "ratio": times["one_by_one_s"] / times["batched_s"]})
        progress(f"retrain: {out['runs'][-1]}")
    return out


def bench_warm(final, families, seeds: int, configs: int, refit_every: int) -> dict:
    """Rolling refits every ``refit_every`` days, from scratch vs warm-started from the previous
    origin's weights: wall time and test MAE relative to naive (seed-mean), beside the static fit."""
    import keras

    from search.bench.trainer import configs as sample
    from search.engine.trainer import freeze_long_lived_objects
    from search.evaluation import refit
    from search.evaluation.metrics import rel_mae

    out = {"refit_every": refit_every, "seeds": seeds, "runs": []}
    freeze_long_lived_objects()
    for family in families:
        for k, config in enumerate(sample(family, configs)):
            config = {**config, "epochs": 60}
            row = {"family": family, "config": k}
            for key, protocol in (("static", refit.Protocol()), ("scratch", refit.Protocol(refit_every)),
                                  ("warm", refit.Protocol(refit_every, warm=True))):
                start = time.perf_counter()
                fc = refit.forecast_config(config, final, protocol, horizon=1, epochs=60, seeds=list(range(seeds)))
                row[f"{key}_s"] = time.perf_counter() - start
                row[f"{key}_rel_mae"] = rel_mae(fc.test.Y, fc.mean, fc.test.naive)
                keras.backend.clear_session()
            out["runs"].append(row)
            progress(f"warm: {row}")
    return out


def _on_backend(data: str, families, groups, epochs: int, queue) -> None:
    from search import cli
    from search.bench.common import search_data
    from search.engine import backend

    cli.load_backend()
    search = search_data(data)
    runs = [one_family(search, family, g, epochs, None) for family in families for g in groups]
    queue.put({"backend": backend.name(), "gpus": len(backend.gpus()), "runs": runs})


def bench_backends(data: str, families, groups, epochs: int, backends) -> dict:
    """The batched part on each backend, each in a fresh process (Keras picks its backend once),
    members' forward passes as each backend does them by default (TensorFlow: branches on a CPU;
    JAX: ``vmap``). Per-model time is the group's wall time over G."""
    import os

    context = multiprocessing.get_context("spawn")
    out = {}
    for name in backends:
        queue = context.Queue()
        saved = os.environ.get("KERAS_BACKEND")
        os.environ["KERAS_BACKEND"] = name  # the child reads it when it imports Keras
        try:
            proc = context.Process(target=_on_backend, args=(data, families, groups, epochs, queue))
            proc.start()
        finally:
            os.environ.pop("KERAS_BACKEND") if saved is None else os.environ.__setitem__("KERAS_BACKEND", saved)
        out[name] = queue.get()
        proc.join()
        for r in out[name]["runs"]:
            progress(f"batched on {name}: {r}")
    return out
