"""``python -m search.bench``: run the chosen parts and print a table or one JSON object."""

from __future__ import annotations

import json

from search import cli
from search.bench.report import table

PARTS = ("trainer", "batched", "retrain", "warm", "pruning", "pruners", "memory", "workers", "concurrent", "engines",
         "folds", "eras", "truth", "answer", "stopping")
DEFAULT = ("trainer", "batched", "retrain", "pruning", "memory", "workers", "engines")


def build_parser() -> cli.Parser:
    from spaces import families

    FAMILIES = families()  # noqa: N806
    p = cli.Parser(prog="python -m search.bench", description="Measure the search machinery side by side.")
    pos = cli.at_least(1)
    p.add_argument("--only", choices=PARTS, action="append", help="run one part (repeatable; default: all but eras)")
    p.add_argument("--family", action="append", choices=FAMILIES,
                   help="trainer and batched parts: families (default dense, conv1d, lstm[, nbeats])")
    p.add_argument("--data", default="btc", help="dataset (default btc)")
    p.add_argument("--configs", type=pos, default=3, help="trainer: configurations per family (default 3)")
    p.add_argument("--epochs", type=pos, default=30, help="trainer: epochs per configuration (default 30)")
    p.add_argument("--groups", type=pos, nargs="+", default=[3, 8], help="batched: group sizes (default 3 8)")
    p.add_argument("--batched-epochs", type=pos, default=100, help="batched: epoch cap (default 100, the seed's)")
    p.add_argument("--backends", nargs="+", choices=("tensorflow", "jax"),
                   help="batched: run it on each of these Keras backends, side by side (per-model times)")
    p.add_argument("--mode", choices=("branches", "vectorized", "default"), default="branches",
                   help="batched: how members' forward passes run (default branches; 'default': the "
                        "trainer's own choice, e.g. jax.vmap on JAX)")
    p.add_argument("--groups-only", action="store_true",
                   help="batched: time each group size twice, no one-by-one runs; per-model gain against "
                        "G = 1 (for an accelerator, where G = 128 one by one takes too long)")
    p.add_argument("--trials", type=pos, default=30, help="pruning and folds: trials per study (default 30)")
    p.add_argument("--pruning-epochs", type=pos, default=60, help="pruning: epoch cap per trial (default 60)")
    p.add_argument("--pruning-seeds", type=pos, default=3, help="pruning: seeds, each both studies (default 3)")
    p.add_argument("--memory-trials", type=pos, default=200, help="memory: trials (default 200)")
    p.add_argument("--engine-seconds", type=float, default=120, help="engines: wall budget each (default 120)")
    p.add_argument("--engine-seeds", type=pos, default=3, help="engines: seeds (default 3)")
    p.add_argument("--sampler", help="engines: Optuna sampler (default: the dense study's)")
    p.add_argument("--folds", type=pos, default=3, help="folds and eras: walk-forward folds (default 3)")
    p.add_argument("--folds-family", default="lstm", choices=FAMILIES, help="folds: the family (default lstm)")
    p.add_argument("--eras-families", nargs="+", default=["dense", "conv1d"], choices=FAMILIES,
                   help="eras: the families; the first is compared with today's protocol (default dense conv1d)")
    p.add_argument("--refit-every", type=cli.at_least(0), default=30, help="eras: rolling refit (default 30 days)")
    p.add_argument("--until", nargs="+", help="eras: the cut dates (default 2018-06-30 2019-11-09 2021-05-18)")
    p.add_argument("--eras-dir", help="eras: keep each era's studies and results in this folder")
    p.add_argument("--truth-series", type=pos, default=10, help="truth: series of each kind (default 10)")
    p.add_argument("--truth-trials", type=pos, default=30, help="truth: trials per series (default 30)")
    p.add_argument("--truth-family", default="dense", choices=FAMILIES, help="truth: the family (default dense)")
    p.add_argument("--truth-kinds", nargs="+", default=["random_walk", "garch", "ar1", "nonlinear"],
                   choices=["random_walk", "garch", "ar1", "nonlinear"], help="truth: the kinds (default all)")
    p.add_argument("--truth-dir", help="truth: keep each series' study and results in this folder (a series already "
                                       "there is judged again by every rule, not searched again)")
    p.add_argument("--storage", default="postgresql://postgres@127.0.0.1:5432/test",
                   help="concurrent: the storage the processes share (default: the local PostgreSQL's test database)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return p


def _batched(args, data, families) -> dict:
    """The batched part as asked: groups only (an accelerator), on several backends, or one by one vs grouped."""
    from search.bench import batched

    mode = None if args.mode == "default" else args.mode
    if args.groups_only:
        return {"groups": batched.bench_groups(data, families, args.groups, args.batched_epochs, mode)}
    if args.backends:
        return {"backends": batched.bench_backends(args.data, families, args.groups, args.batched_epochs,
                                                   args.backends)}
    return {"batched": batched.bench_batched(data, args.data, families, args.groups, args.batched_epochs, mode)}


@cli.main_guard
def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    cli.quiet_libraries()
    cli.load_backend()
    from search.bench import batched, eras, search, trainer
    from search.bench.common import search_data

    parts = args.only or list(DEFAULT)
    data = search_data(args.data, folds=args.folds)
    families = args.family or ["dense", "conv1d", "lstm"]
    results = {}
    if "trainer" in parts:
        results["trainer"] = trainer.bench_trainer(data, families, args.configs, args.epochs)
    if "batched" in parts:
        results.update(_batched(args, data, families))
    if {"retrain", "warm"} & set(parts):
        from data import DataSpec

        final = DataSpec(data=args.data, folds=args.folds).final_data(1)
        if "retrain" in parts:
            results["retrain"] = batched.bench_retrain(final, families, 3, 3)
        if "warm" in parts:
            results["warm"] = batched.bench_warm(final, families, 3, args.configs, args.refit_every)
    if "pruning" in parts:
        results["pruning"] = search.bench_pruning(data, args.trials, args.pruning_epochs, args.pruning_seeds)
    if "pruners" in parts:
        results["pruners"] = search.bench_pruners(data, args.trials, args.pruning_epochs, args.pruning_seeds)
    if "memory" in parts:
        results["memory"] = search.bench_memory(data, args.memory_trials)
    if "workers" in parts:
        results["workers"] = search.bench_workers(args.data, 16, 40)
    if "concurrent" in parts:
        results["concurrent"] = search.bench_concurrent(args.data, args.storage)
    if "engines" in parts:
        results["engines"] = search.bench_engines(data, args.engine_seconds, 60, args.engine_seeds, args.sampler)
    if "folds" in parts:
        results["folds"] = search.bench_folds(args.data, args.folds_family, args.trials, args.folds)
    if "eras" in parts:
        results["eras"] = eras.bench_eras(args.data, args.eras_families, args.trials, args.folds, args.refit_every,
                                          tuple(args.until) if args.until else eras.ERAS, keep=args.eras_dir)
    if "stopping" in parts:
        from search.bench.stopping import bench_long, bench_stopping

        results["stopping"] = {**bench_stopping(args.data, trials=args.trials), "long": bench_long(args.data)}
    if "answer" in parts:
        from search.bench.answer import bench_answer

        results["answer"] = bench_answer(args.data)
    if "truth" in parts:
        from search.bench.truth import bench_truth

        results["truth"] = bench_truth(series=args.truth_series, family=args.truth_family, trials=args.truth_trials,
                                       epochs=None, refit_every=0, seeds=3, kinds=args.truth_kinds,
                                       keep=args.truth_dir, data=args.data)
    print(json.dumps(results, indent=2) if args.json else table(results))
    return 0
