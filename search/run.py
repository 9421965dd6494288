"""Search a model family's space with Optuna, retrain the best on train + validation, and compare
them with the naive forecast on the sealed test split.

    python -m search.run --family lstm --trials 100

Studies are stored in ``runs/optuna.db`` by default; running the same command again resumes the
study (trials add up). ``python -m search.dashboard`` shows it live.
"""

from __future__ import annotations

import argparse
import sys
import time

from search import cli
from studies import PRUNERS, SAMPLERS

FAMILY_CHOICES = ("dense", "conv1d", "lstm", "multivariate", "nbeats", "ensemble", "all")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m search.run", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--family", required=True, choices=FAMILY_CHOICES,
                   help="model family to search; 'all' runs every family's study in turn")
    p.add_argument("--trials", type=int, help="trials to run now (default: the study's declaration in studies/)")
    p.add_argument("--timeout", type=float, help="stop starting new trials after this many seconds")
    p.add_argument("--study", help="study name (default FAMILY-DATASET-hH, e.g. lstm-btc-h1); an existing one resumes")
    p.add_argument("--storage", help="sqlite:///FILE.db (default runs/optuna.db), postgresql://..., or FILE.log journal")
    cli.add_data_args(p)
    p.add_argument("--horizon", type=int, help="days ahead to forecast (default 1)")
    p.add_argument("--engine", choices=("optuna", "keras-tuner"), default="optuna",
                   help="optuna (default) or keras-tuner's Hyperband over the same space; both write to the study")
    p.add_argument("--sampler", choices=SAMPLERS, help="Optuna sampler (default tpe)")
    p.add_argument("--pruner", choices=PRUNERS, help="pruner of weak trials (default sha: successive halving)")
    p.add_argument("--epochs", type=int, help="epoch cap per trial (default: the study's)")
    p.add_argument("--patience", type=int, help="early-stopping patience in epochs (default: the study's)")
    p.add_argument("--eval-every", type=int, help="epochs between validation checks / pruning reports")
    p.add_argument("--seed", type=int, default=0, help="base random seed of sampler and trials (default 0)")
    p.add_argument("--retrain-top", type=int, default=3, help="best configurations to retrain and test (default 3)")
    p.add_argument("--seeds", type=int, default=3, help="seeds per retrained configuration (default 3)")
    p.add_argument("--no-retrain", action="store_true", help="search only; retrain later with search.retrain")
    p.add_argument("--forecast-days", type=int, default=14, help="days to forecast past the data (default 14)")
    p.add_argument("--no-report", action="store_true", help="skip the future forecast and runs/reports/<study>/")
    p.add_argument("--workers", type=int, default=1,
                   help="trial worker processes on this machine, sharing the cores (needs a journal FILE.log or "
                        "PostgreSQL storage; SQLite locks under concurrent writers)")
    p.add_argument("--threads", type=int, help="TensorFlow threads per process (default: cores / workers)")
    p.add_argument("--heartbeat", type=int, default=30,
                   help="RDB storages: seconds between worker heartbeats; a worker silent for 3 beats is dead and "
                        "its trial is retried (default 30)")
    p.add_argument("--worker-id", type=int, help=argparse.SUPPRESS)
    p.add_argument("--verbose", action="store_true", help="show TensorFlow's and Optuna's logging")
    return p


def _fmt(value) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def trial_line(trial) -> str:
    value = f"{trial.value:.4f}" if trial.value is not None else "   -  "
    if trial.state.name == "PRUNED" and trial.intermediate_values:
        value = f"{trial.intermediate_values[max(trial.intermediate_values)]:.4f}"
    attrs = trial.user_attrs
    params = " ".join(f"{k}={_fmt(v)}" for k, v in trial.params.items())
    reason = f"  ({attrs['fail_reason']})" if "fail_reason" in attrs else ""
    return (f"trial {trial.number:4d} {trial.state.name:8s} val MASE {value}  epochs {attrs.get('epochs', 0):4d}  "
            f"{attrs.get('seconds', 0):6.1f}s  {params}{reason}")


def summary_line(study) -> str:
    counts = {}
    for t in study.get_trials(deepcopy=False):
        counts[t.state.name] = counts.get(t.state.name, 0) + 1
    text = ", ".join(f"{n} {s.lower()}" for s, n in sorted(counts.items()))
    try:
        best = study.best_trial
        text += f"; best val MASE {best.value:.4f} (trial {best.number})"
    except ValueError:
        text += "; no complete trial yet"
    return f"study {study.study_name}: {text}"


def _run_workers(family: str, name: str, trials: int, args, study) -> dict | None:
    """Split ``trials`` over ``args.workers`` processes on one study, wait, then retrain here."""
    import os
    import subprocess

    from search.storage import DEFAULT_STORAGE

    storage = args.storage or DEFAULT_STORAGE
    if storage.startswith("sqlite"):
        raise cli.UsageError("--workers needs a storage for concurrent writers: --storage runs/optuna.log "
                             "(journal file) or postgresql://...")
    threads = args.threads or max(1, (os.cpu_count() or 1) // args.workers)
    shares = [trials // args.workers + (i < trials % args.workers) for i in range(args.workers)]
    base = [sys.executable, "-m", "search.run", "--family", family, "--study", name, "--storage", storage,
            "--data", args.data, "--test-size", str(args.test_size), "--val-size", str(args.val_size),
            "--heartbeat", str(args.heartbeat), "--threads", str(threads),
            "--no-retrain", "--no-report"]
    for flag in ("horizon", "sampler", "pruner", "epochs", "patience", "eval_every", "timeout", "date_col",
                 "target_col"):
        if getattr(args, flag) is not None:
            base += [f"--{flag.replace('_', '-')}", str(getattr(args, flag))]
    base += ["--fill-gaps"] * args.fill_gaps + ["--verbose"] * args.verbose
    print(f"{args.workers} workers x {threads} TensorFlow thread(s): {shares} trials", flush=True)
    started = time.perf_counter()
    procs = [subprocess.Popen([*base, "--trials", str(n), "--worker-id", str(i), "--seed", str(args.seed + 1000 * i)])
             for i, n in enumerate(shares) if n]
    try:
        codes = [p.wait() for p in procs]
    except KeyboardInterrupt:
        for p in procs:
            p.wait()
        raise
    print(f"{summary_line(study)}; {time.perf_counter() - started:.0f}s with {len(procs)} workers", flush=True)
    if any(codes):
        raise cli.UsageError(f"a worker exited with status {max(codes)}; the study is kept, see its output above")
    return _finish(study, args)


def _run_keras_tuner(spec, final, study, args) -> dict | None:
    from search.kt_engine import copy_into_study, run_keras_tuner
    from search.storage import RUNS

    print(f"study {study.study_name}: keras-tuner Hyperband, {spec.trials} trials, up to {spec.epochs} epochs",
          flush=True)
    started = time.perf_counter()
    before = len(study.trials)
    _, _, tuner = run_keras_tuner(spec, final.search(), directory=str(RUNS / "keras-tuner" / study.study_name),
                                  seconds=args.timeout, max_trials=spec.trials, seed=args.seed)
    copy_into_study(study, tuner)
    for trial in study.get_trials(deepcopy=False)[before:]:
        print(trial_line(trial), flush=True)
    print(f"{summary_line(study)}; {time.perf_counter() - started:.0f}s", flush=True)
    return _finish(study, args)


def _finished(study) -> int:
    return sum(t.state.is_finished() for t in study.get_trials(deepcopy=False))


def search_family(family: str, args, data_spec) -> dict | None:
    from tqdm import tqdm

    from search.objective import TRIAL_FAILURES, Objective
    from search.study import default_study_name, open_study
    from search.trainer import use_gpu_if_present
    from studies import load_study_spec

    spec = load_study_spec(family, trials=args.trials, horizon=args.horizon, sampler=args.sampler,
                           pruner=args.pruner, epochs=args.epochs, patience=args.patience,
                           eval_every=args.eval_every)
    final = data_spec.final_data(spec.horizon)
    name = args.study if args.study and args.family != "all" else default_study_name(family, final, spec.horizon)
    study = open_study(name, args.storage, spec, data_spec, final, seed=args.seed, heartbeat=args.heartbeat)
    if args.workers > 1 and args.worker_id is None:
        return _run_workers(family, name, spec.trials, args, study)
    if args.engine == "keras-tuner":
        return _run_keras_tuner(spec, final, study, args)
    gpus = use_gpu_if_present()
    print(f"study {name}: family {family}, {spec.sampler} sampler, {spec.pruner} pruner, {spec.trials} trials, "
          f"up to {spec.epochs} epochs, horizon {spec.horizon}, {'GPU' if gpus else 'CPU'}; "
          f"{_finished(study)} earlier trials", flush=True)
    objective = Objective(spec, final.search(), seed=args.seed + _finished(study))
    bar = tqdm(total=spec.trials, unit="trial", leave=False, file=sys.stderr,
               disable=not sys.stderr.isatty() or args.worker_id is not None)
    prefix = f"[worker {args.worker_id}] " if args.worker_id is not None else ""

    def on_trial(study, trial):
        bar.update(1)
        bar.write(prefix + trial_line(trial), file=sys.stdout)
        sys.stdout.flush()  # a line per trial, as it ends, also through a pipe or `tee`

    started = time.perf_counter()
    interrupted = False
    try:
        study.optimize(objective, n_trials=spec.trials, timeout=args.timeout, callbacks=[on_trial],
                       catch=TRIAL_FAILURES, gc_after_trial=False)
    except KeyboardInterrupt:
        interrupted = True
        print("\ninterrupted: the running trial is marked FAIL; the study is kept.", flush=True)
    finally:
        bar.close()
    print(f"{summary_line(study)}; {time.perf_counter() - started:.0f}s", flush=True)
    if interrupted:
        raise KeyboardInterrupt
    return _finish(study, args)


def _finish(study, args) -> dict | None:
    import optuna

    if args.no_retrain or not any(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials):
        return None
    from search.retrain import format_table, retrain_study

    print(f"retraining the top {args.retrain_top} configuration(s) with {args.seeds} seed(s) on train + validation...",
          flush=True)
    summary = retrain_study(study, top=args.retrain_top, seeds=args.seeds)
    print(format_table(summary), flush=True)
    if not args.no_report:
        from search.forecast import forecast_study
        from search.report import write_study_report

        _, chart = forecast_study(study, days=args.forecast_days)
        where = write_study_report(study)
        print(f"report: {where / 'report.html'} (also report.md, best_config.json); forecast: {chart}", flush=True)
    return summary


@cli.main_guard
def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    cli.quiet_tensorflow(args.verbose)
    import optuna

    from search.study import DataSpec

    optuna.logging.set_verbosity(optuna.logging.INFO if args.verbose else optuna.logging.WARNING)
    if args.threads:  # must precede TensorFlow's first operation
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(min(2, args.threads))
    for flag in ("trials", "horizon", "epochs", "retrain_top", "seeds", "workers", "heartbeat"):
        value = getattr(args, flag)
        if value is not None and value < 1:
            raise cli.UsageError(f"--{flag.replace('_', '-')} must be at least 1, got {value}")
    data_spec = DataSpec.from_args(args)
    families = list(FAMILY_CHOICES[:-1]) if args.family == "all" else [args.family]
    summaries = {}
    try:
        for family in families:
            summaries[family] = search_family(family, args, data_spec)
    except KeyboardInterrupt:
        return 130
    if len(families) > 1:
        from search.leaderboard import leaderboard_table

        print(leaderboard_table([s for s in summaries.values() if s]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
