"""Measure the search machinery side by side, in one run (a benchmark, not a test).

    python -m search.bench                 # every part, a table
    python -m search.bench --only trainer --family lstm --json

Parts: ``trainer`` (Keras ``fit`` with per-epoch validation, as the seed trained, vs the project's
compiled trainer, same configurations and seeds), ``pruning`` (the declared pruner vs none on the same
budget), ``memory`` (RSS after 10 and 200 small trials), ``workers`` (trials/min with 1 and 2
processes), ``engines`` (best validation MASE of Optuna TPE + its pruner vs keras-tuner Hyperband
at equal wall time).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time

from search import cli

PARTS = ("trainer", "pruning", "memory", "workers", "engines")


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _search_data(data: str):
    from search.study import DataSpec

    return DataSpec(data=data).final_data(1).search()


def bench_trainer(search, families, n_configs: int, epochs: int) -> dict:
    """Same sampled configurations, same initial weights: Keras fit vs the compiled trainer."""
    import keras
    import numpy as np
    import optuna

    import spaces
    from search.metrics import mase
    from search.trainer import fit_scaler, predict, train

    out = {}
    for family in families:
        study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
        ref_s, fast_s, ref_m, fast_m = [], [], [], []
        for _ in range(n_configs):
            config = spaces.sample_optuna(family, study.ask())
            data = search.with_features(spaces.features(config))
            tw, vw = data.train(window=config["window"], horizon=1), data.val(window=config["window"], horizon=1)
            scaler = fit_scaler(config, tw)
            # (a) reference: compile + fit with validation data every epoch
            keras.utils.set_random_seed(0)
            model = spaces.build(config, data.frame.shape[1], 1)
            train_model, loss = spaces.training_view(model, config)
            train_model.compile(optimizer=keras.optimizers.Adam(config["learning_rate"]), loss=loss)
            start = time.perf_counter()
            y_train, y_val = scaler.y(tw.Y, tw.X), scaler.y(vw.Y, vw.X)
            if train_model is not model:  # ensemble members each see the target
                y_train, y_val = (np.repeat(y[:, None], config["size"], axis=1) for y in (y_train, y_val))
            train_model.fit(scaler.x(tw.X), y_train, batch_size=config["batch_size"], epochs=epochs,
                            validation_data=(scaler.x(vw.X), y_val), verbose=0, shuffle=True)
            ref_s.append(time.perf_counter() - start)
            ref_m.append(mase(vw.Y, predict(model, scaler, vw)))
            keras.backend.clear_session()
            # (b) the project's trainer, validating once at the end like (a)'s final weights
            keras.utils.set_random_seed(0)
            model = spaces.build(config, data.frame.shape[1], 1)
            start = time.perf_counter()
            train(model, config, tw, vw, epochs=epochs, eval_every=epochs)
            fast_s.append(time.perf_counter() - start)
            fast_m.append(mase(vw.Y, predict(model, scaler, vw)))
            keras.backend.clear_session()
            gc.collect()
        ref_rate, rate = 60 * n_configs / sum(ref_s), 60 * n_configs / sum(fast_s)
        out[family] = {"configs": n_configs, "epochs": epochs, "reference_trials_per_min": ref_rate,
                       "trials_per_min": rate, "ratio": rate / ref_rate,
                       "reference_val_mase": float(np.median(ref_m)), "val_mase": float(np.median(fast_m)),
                       "reference_val_mase_each": [float(m) for m in ref_m], "val_mase_each": [float(m) for m in fast_m]}
        _progress(f"trainer {family}: {out[family]}")
    return out


def _objective_study(search, family, epochs, *, pruner=None, trials=None, timeout=None, seed=0):
    """An in-memory study of ``family`` as its declaration runs it (``pruner`` overrides the declared one)."""
    import optuna

    from search.objective import TRIAL_FAILURES, Objective
    from search.storage import make_pruner, make_sampler
    from studies import load_study_spec

    spec = load_study_spec(family, epochs=epochs, pruner=pruner)
    study = optuna.create_study(sampler=make_sampler(spec.sampler, seed), pruner=make_pruner(
        spec.pruner, min_epochs=spec.eval_every, max_epochs=epochs, reduction_factor=spec.reduction_factor))
    study.optimize(Objective(spec, search, seed=seed), n_trials=trials, timeout=timeout, catch=TRIAL_FAILURES)
    return study


def bench_pruning(search, trials: int, epochs: int, seeds: int = 3) -> dict:
    """The dense study with its declared pruner and with none: same trials, seeds and epoch cap.

    The best of a few tens of trials is noisy, so each seed runs both studies; epochs are summed
    over seeds and the best values averaged."""
    import numpy as np

    from studies import load_study_spec

    spec = load_study_spec("dense")
    runs = []
    for seed in range(seeds):
        pruned = _objective_study(search, "dense", epochs, trials=trials, seed=seed)
        unpruned = _objective_study(search, "dense", epochs, pruner="none", trials=trials, seed=seed)
        runs.append({"seed": seed, "epochs_pruned": _epochs(pruned), "epochs_unpruned": _epochs(unpruned),
                     "best_pruned": pruned.best_value, "best_unpruned": unpruned.best_value,
                     "trials_pruned": sum(t.state.name == "PRUNED" for t in pruned.trials)})
        _progress(f"pruning seed {seed}: {runs[-1]}")
    res = {"pruner": f"{spec.pruner} (reduction factor {spec.reduction_factor})", "trials": trials,
           "epoch_cap": epochs, "seeds": seeds, "runs": runs}
    for key in ("epochs_pruned", "epochs_unpruned", "trials_pruned"):
        res[key] = sum(r[key] for r in runs)
    for key in ("best_pruned", "best_unpruned"):
        res[key] = float(np.mean([r[key] for r in runs]))
    res["epoch_fraction"] = res["epochs_pruned"] / res["epochs_unpruned"]
    res["best_ratio"] = res["best_pruned"] / res["best_unpruned"]
    return res


def _epochs(study) -> int:
    return sum(t.user_attrs.get("epochs", 0) for t in study.trials)


def bench_memory(search, trials: int) -> dict:
    import optuna

    from search.objective import Objective
    from studies import load_study_spec

    spec = load_study_spec("dense", epochs=2, eval_every=1, pruner="none")
    objective = Objective(spec, search)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    marks = {}
    for i in range(1, trials + 1):
        study.optimize(objective, n_trials=1)
        if i in (10, trials):
            gc.collect()
            marks[i] = _rss_mb()
    res = {"rss_mb_at_10": marks[10], f"rss_mb_at_{trials}": marks[trials], "growth_mb": marks[trials] - marks[10]}
    if trials != 200:
        res["rss_mb_at_200"] = None
    _progress(f"memory: {res}")
    return res


def bench_workers(data: str, trials: int, epochs: int) -> dict:
    """Trials/min of 1 and 2 worker processes on one journal study. ``one``/``two`` count from
    the first trial's start to the last trial's end (a long search's rate); ``*_wall`` add each
    run's process start-up (TensorFlow import, data loading: a fixed ~5 s per process)."""
    import optuna

    from search.storage import open_storage

    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for workers, key in ((1, "one"), (2, "two")):
            storage = os.path.join(tmp, f"w{workers}.log")
            cmd = [sys.executable, "-m", "search.run", "--family", "dense", "--trials", str(trials),
                   "--workers", str(workers), "--storage", storage, "--study", "bench",
                   "--data", data, "--epochs", str(epochs), "--pruner", "none", "--no-retrain"]
            if workers == 1:  # one worker process, the same way, so that start-up counts the same
                cmd += ["--worker-id", "0", "--threads", str(os.cpu_count() or 1)]
            start = time.perf_counter()
            subprocess.run(cmd, check=True, cwd=tmp, capture_output=True)
            out[f"{key}_wall"] = 60 * trials / (time.perf_counter() - start)
            done = [t for t in optuna.load_study(study_name="bench", storage=open_storage(storage)).trials
                    if t.datetime_complete is not None]
            span = max(t.datetime_complete for t in done) - min(t.datetime_start for t in done)
            out[key] = 60 * len(done) / span.total_seconds()
    out["ratio"] = out["two"] / out["one"]
    out["ratio_wall"] = out["two_wall"] / out["one_wall"]
    _progress(f"workers: {out}")
    return out


def bench_engines(search, seconds: float, epochs: int, seeds: int = 3) -> dict:
    """Best validation MASE of the dense study (TPE + its declared pruner) and of keras-tuner's
    Hyperband over the same space, each given ``seconds`` of wall time per seed; the bests are
    averaged over seeds (one search's best is noisy)."""
    import keras_tuner as kt
    import numpy as np

    from search.kt_engine import run_keras_tuner
    from studies import load_study_spec

    runs = []
    for seed in range(seeds):
        study = _objective_study(search, "dense", epochs, timeout=seconds, seed=seed)
        with tempfile.TemporaryDirectory() as tmp:
            best, n, _ = run_keras_tuner(load_study_spec("dense", epochs=epochs), search, seconds=seconds,
                                         directory=tmp, seed=seed, oracle_cls=kt.oracles.HyperbandOracle)
        runs.append({"seed": seed, "optuna": study.best_value, "keras_tuner": best,
                     "optuna_trials": len(study.trials), "keras_tuner_trials": n})
        _progress(f"engines seed {seed}: {runs[-1]}")
    res = {key: float(np.mean([r[key] for r in runs])) for key in ("optuna", "keras_tuner")}
    res.update(seconds=seconds, seeds=seeds, runs=runs,
               optuna_trials=sum(r["optuna_trials"] for r in runs),
               keras_tuner_trials=sum(r["keras_tuner_trials"] for r in runs))
    return res


def _progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def table(results: dict) -> str:
    lines = []
    if "trainer" in results:
        lines.append(f"{'trainer':10s} {'fit trials/min':>15s} {'ours trials/min':>16s} {'ratio':>7s} "
                     f"{'fit val MASE':>13s} {'ours val MASE':>14s}")
        for fam, r in results["trainer"].items():
            lines.append(f"{fam:10s} {r['reference_trials_per_min']:15.2f} {r['trials_per_min']:16.2f} "
                         f"{r['ratio']:6.1f}x {r['reference_val_mase']:13.4f} {r['val_mase']:14.4f}")
    if "pruning" in results:
        p = results["pruning"]
        lines.append(f"pruning    epochs {p['epochs_pruned']} ({p['pruner']}) vs {p['epochs_unpruned']} (none) = "
                     f"{p['epoch_fraction']:.0%}; mean best val MASE {p['best_pruned']:.4f} vs {p['best_unpruned']:.4f} "
                     f"over {p['seeds']} seeds of {p['trials']} trials")
        for r in p["runs"]:
            lines.append(f"             seed {r['seed']}: {r['epochs_pruned']} vs {r['epochs_unpruned']} epochs, "
                         f"best {r['best_pruned']:.4f} vs {r['best_unpruned']:.4f}")
    if "memory" in results:
        m = results["memory"]
        last = max(int(k.split("_")[-1]) for k in m if k.startswith("rss_mb_at_") and m[k] is not None)
        lines.append(f"memory     RSS {m['rss_mb_at_10']:.0f} MB at trial 10, {m[f'rss_mb_at_{last}']:.0f} MB at "
                     f"trial {last} (growth {m['growth_mb']:+.0f} MB)")
    if "workers" in results:
        w = results["workers"]
        lines.append(f"workers    {w['one']:.1f} trials/min with 1, {w['two']:.1f} with 2 ({w['ratio']:.2f}x); "
                     f"with process start-up {w['one_wall']:.1f} vs {w['two_wall']:.1f} ({w['ratio_wall']:.2f}x)")
    if "engines" in results:
        e = results["engines"]
        lines.append(f"engines    mean best val MASE in {e['seconds']:.0f}s x {e['seeds']} seeds: Optuna {e['optuna']:.4f} "
                     f"({e['optuna_trials']} trials), keras-tuner {e['keras_tuner']:.4f} ({e['keras_tuner_trials']} trials)")
        for r in e["runs"]:
            lines.append(f"             seed {r['seed']}: Optuna {r['optuna']:.4f}, keras-tuner {r['keras_tuner']:.4f}")
    return "\n".join(lines)


@cli.main_guard
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m search.bench", description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=PARTS, action="append", help="run one part (repeatable; default all)")
    parser.add_argument("--family", action="append", choices=("dense", "conv1d", "lstm", "nbeats"),
                        help="trainer part: families (default dense, conv1d, lstm, nbeats)")
    parser.add_argument("--data", default="btc", help="dataset (default btc)")
    parser.add_argument("--configs", type=int, default=3, help="trainer part: configurations per family (default 3)")
    parser.add_argument("--epochs", type=int, default=30, help="trainer part: epochs per configuration (default 30)")
    parser.add_argument("--trials", type=int, default=30, help="pruning part: trials per study (default 30)")
    parser.add_argument("--pruning-epochs", type=int, default=60, help="pruning part: epoch cap per trial (default 60)")
    parser.add_argument("--pruning-seeds", type=int, default=3, help="pruning part: seeds, each both studies (default 3)")
    parser.add_argument("--memory-trials", type=int, default=200, help="memory part: trials (default 200)")
    parser.add_argument("--engine-seconds", type=float, default=120, help="engines part: wall budget each (default 120)")
    parser.add_argument("--engine-seeds", type=int, default=3, help="engines part: seeds (default 3)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    cli.quiet_tensorflow()
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    parts = args.only or list(PARTS)
    search = _search_data(args.data)
    results = {}
    if "trainer" in parts:
        results["trainer"] = bench_trainer(search, args.family or ["dense", "conv1d", "lstm", "nbeats"],
                                           args.configs, args.epochs)
    if "pruning" in parts:
        results["pruning"] = bench_pruning(search, args.trials, args.pruning_epochs, args.pruning_seeds)
    if "memory" in parts:
        results["memory"] = bench_memory(search, args.memory_trials)
    if "workers" in parts:
        results["workers"] = bench_workers(args.data, 16, 40)
    if "engines" in parts:
        results["engines"] = bench_engines(search, args.engine_seconds, 60, args.engine_seeds)
    print(json.dumps(results, indent=2) if args.json else table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
