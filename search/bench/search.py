"""The search-side parts: pruning, memory, workers, engines, and the cost of walk-forward folds."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import tempfile
import time

from search.bench.common import epochs_of, objective_study, progress, rss_mb


def bench_pruning(search, trials: int, epochs: int, seeds: int = 3) -> dict:
    """The dense study with its declared pruner and with none: same trials, seeds and epoch cap.

    The best of a few tens of trials is noisy, so each seed runs both studies; epochs are summed
    over seeds and the best values averaged."""
    import numpy as np

    from studies import load_study_spec

    spec = load_study_spec("dense")
    runs = []
    for seed in range(seeds):
        pruned = objective_study(search, "dense", epochs, trials=trials, seed=seed)
        unpruned = objective_study(search, "dense", epochs, pruner="none", trials=trials, seed=seed)
        runs.append({"seed": seed, "epochs_pruned": epochs_of(pruned), "epochs_unpruned": epochs_of(unpruned),
                     "best_pruned": pruned.best_value, "best_unpruned": unpruned.best_value,
                     "trials_pruned": sum(t.state.name == "PRUNED" for t in pruned.trials)})
        progress(f"pruning seed {seed}: {runs[-1]}")
    res = {"pruner": f"{spec.pruner} (reduction factor {spec.reduction_factor})", "trials": trials,
           "epoch_cap": epochs, "seeds": seeds, "runs": runs}
    for key in ("epochs_pruned", "epochs_unpruned", "trials_pruned"):
        res[key] = sum(r[key] for r in runs)
    for key in ("best_pruned", "best_unpruned"):
        res[key] = float(np.mean([r[key] for r in runs]))
    res["epoch_fraction"] = res["epochs_pruned"] / res["epochs_unpruned"]
    res["best_ratio"] = res["best_pruned"] / res["best_unpruned"]
    return res


def bench_pruners(search, trials: int, epochs: int, seeds: int = 3, pruners=("sha", "paired", "none")) -> dict:
    """Successive halving by cost against evidence day by day (paired Wilcoxon on the most recent
    fold) and no pruning: epochs spent and the best validation score at equal trials, per seed."""
    import numpy as np

    runs = []
    for seed in range(seeds):
        for pruner in pruners:
            study = objective_study(search, "dense", epochs, pruner=pruner, trials=trials, seed=seed)
            runs.append({"seed": seed, "pruner": pruner, "epochs": epochs_of(study), "best": study.best_value,
                         "pruned": sum(t.state.name == "PRUNED" for t in study.trials)})
            progress(f"pruners: {runs[-1]}")
    out = {"trials": trials, "epoch_cap": epochs, "seeds": seeds, "runs": runs}
    for pruner in pruners:
        mine = [r for r in runs if r["pruner"] == pruner]
        out[pruner] = {"epochs": sum(r["epochs"] for r in mine), "mean_best": float(np.mean([r["best"] for r in mine]))}
    return out


def bench_memory(search, trials: int) -> dict:
    import optuna

    from search.engine.objective import Objective
    from search.engine.trainer import freeze_long_lived_objects
    from studies import load_study_spec

    spec = load_study_spec("dense", epochs=2, eval_every=1, pruner="none", folds=search.plan.folds)
    objective = Objective(spec, search)
    freeze_long_lived_objects()
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    marks = {}
    for i in range(1, trials + 1):
        study.optimize(objective, n_trials=1)
        if i in (10, trials):
            gc.collect()
            marks[i] = rss_mb()
    res = {"trials": trials, "rss_mb_at_10": marks[10], "rss_mb_at_end": marks[trials],
           "growth_mb": marks[trials] - marks[10]}
    progress(f"memory: {res}")
    return res


def bench_workers(data: str, trials: int, epochs: int) -> dict:
    """Trials/min of 1 and 2 worker processes on one journal study, from the first trial's start to
    the last trial's end (a long search's rate); ``*_wall`` add each run's process start-up."""
    import optuna

    from search.engine.storage import open_storage

    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for workers, key in ((1, "one"), (2, "two")):
            storage = os.path.join(tmp, f"w{workers}.log")
            cmd = [sys.executable, "-m", "search.run", "--family", "dense", "--trials", str(trials),
                   "--workers", str(workers), "--storage", storage, "--study", "bench",
                   "--data", data, "--epochs", str(epochs), "--pruner", "none", "--no-retrain"]
            start = time.perf_counter()
            subprocess.run(cmd, check=True, cwd=tmp, capture_output=True)
            out[f"{key}_wall"] = 60 * trials / (time.perf_counter() - start)
            done = [t for t in optuna.load_study(study_name="bench", storage=open_storage(storage)).trials
                    if t.datetime_complete is not None]
            span = max(t.datetime_complete for t in done) - min(t.datetime_start for t in done)
            out[key] = 60 * len(done) / span.total_seconds()
    out["ratio"] = out["two"] / out["one"]
    out["ratio_wall"] = out["two_wall"] / out["one_wall"]
    progress(f"workers: {out}")
    return out


def bench_concurrent(data: str, storage: str, trials: int = 40, seeds: int = 3, processes=(1, 2, 4)) -> dict:
    """K processes started at the same moment on one study (``trials / K`` each): the share of
    distinct configurations they draw, and the best validation score against one process alone."""
    import json
    import uuid

    import numpy as np
    import optuna

    from search.engine.storage import open_storage

    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(seeds):
            for k in processes:
                name = f"bench-{uuid.uuid4().hex[:8]}"
                cmd = [sys.executable, "-m", "search.run", "--family", "dense", "--trials", str(trials // k),
                       "--study", name, "--storage", storage, "--data", data, "--no-retrain", "--no-stop",
                       "--seed", str(seed)]
                start = time.perf_counter()
                procs = [subprocess.Popen(cmd, cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                         for _ in range(k)]
                errors = [p.communicate()[1].decode() for p in procs]
                if any(p.returncode for p in procs):
                    raise RuntimeError(f"a process failed: {errors}")
                study = optuna.load_study(study_name=name, storage=open_storage(storage))
                drawn = [json.dumps(t.params, sort_keys=True) for t in study.trials if not t.user_attrs.get("preset")]
                runs.append({"seed": seed, "processes": k, "trials": len(study.trials),
                             "distinct": len(set(drawn)) / len(drawn), "best": study.best_value,
                             "seconds": time.perf_counter() - start})
                optuna.delete_study(study_name=name, storage=open_storage(storage))
                progress(f"concurrent: {runs[-1]}")
    out = {"trials": trials, "seeds": seeds, "runs": runs}
    for k in processes:
        mine = [r for r in runs if r["processes"] == k]
        out[str(k)] = {"distinct": min(r["distinct"] for r in mine), "mean_best": float(np.mean([r["best"] for r in mine])),
                       "bests": [r["best"] for r in mine], "seconds": float(np.mean([r["seconds"] for r in mine]))}
    return out


def bench_engines(search, seconds: float, epochs: int, seeds: int = 3, sampler: str | None = None) -> dict:
    """Best pooled validation score of the dense study (its declared sampler and pruner) and of
    keras-tuner's Hyperband over the same space and objective, each given ``seconds`` per seed."""
    import keras_tuner as kt
    import numpy as np

    from search.engine.kt_engine import run_keras_tuner
    from studies import load_study_spec

    runs = []
    for seed in range(seeds):
        study = objective_study(search, "dense", epochs, timeout=seconds, seed=seed, sampler=sampler)
        with tempfile.TemporaryDirectory() as tmp:
            best, n, _ = run_keras_tuner(load_study_spec("dense", epochs=epochs, folds=search.plan.folds), search,
                                         seconds=seconds, directory=tmp, seed=seed,
                                         oracle_cls=kt.oracles.HyperbandOracle)
        runs.append({"seed": seed, "optuna": study.best_value, "keras_tuner": best,
                     "optuna_trials": len(study.trials), "keras_tuner_trials": n})
        progress(f"engines seed {seed}: {runs[-1]}")
    res = {key: float(np.mean([r[key] for r in runs])) for key in ("optuna", "keras_tuner")}
    res.update(seconds=seconds, seeds=seeds, runs=runs, sampler=sampler or load_study_spec("dense").sampler,
               optuna_trials=sum(r["optuna_trials"] for r in runs),
               keras_tuner_trials=sum(r["keras_tuner_trials"] for r in runs))
    return res


def bench_folds(data: str, family: str, trials: int, folds: int, seed: int = 0) -> dict:
    """Wall time of one study with a single validation fold and with ``folds``, side by side."""
    from search.bench.common import search_data

    out = {"family": family, "trials": trials, "folds": folds, "runs": []}
    for k in (1, folds):
        search = search_data(data, folds=k)
        start = time.perf_counter()
        study = objective_study(search, family, None, trials=trials, seed=seed, folds=k)
        out["runs"].append({"folds": k, "seconds": time.perf_counter() - start, "best": study.best_value,
                            "epochs": epochs_of(study),
                            "pruned": sum(t.state.name == "PRUNED" for t in study.trials)})
        progress(f"folds: {out['runs'][-1]}")
    out["time_ratio"] = out["runs"][1]["seconds"] / out["runs"][0]["seconds"]
    return out
