"""One family's search from the command line's options: check the data, open the study, run its
trials (here, in worker processes, or with keras-tuner), then retrain, forecast and report.

TensorFlow loads only after the options, the data and the storage have been checked.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time

from search import cli


def _fmt(value) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def trial_line(trial) -> str:
    value = f"{trial.value:.4f}" if trial.value is not None else "   -  "
    if trial.state.name == "PRUNED" and trial.intermediate_values:
        value = f"{trial.intermediate_values[max(trial.intermediate_values)]:.4f}"
    attrs = trial.user_attrs
    params = " ".join(f"{k}={_fmt(v)}" for k, v in trial.params.items())
    reason = f"  ({attrs['fail_reason']})" if "fail_reason" in attrs else ""
    return (f"trial {trial.number:4d} {trial.state.name:8s} val rel. MAE {value}  epochs {attrs.get('epochs', 0):4d}  "
            f"{attrs.get('seconds', 0):6.1f}s  {params}{reason}")


def summary_line(study) -> str:
    counts = {}
    for t in study.get_trials(deepcopy=False):
        counts[t.state.name] = counts.get(t.state.name, 0) + 1
    text = ", ".join(f"{n} {s.lower()}" for s, n in sorted(counts.items()))
    try:
        best = study.best_trial
        text += f"; best val rel. MAE {best.value:.4f} (trial {best.number})"
    except ValueError:
        text += "; no complete trial yet"
    return f"study {study.study_name}: {text}"


def search_family(family: str, args) -> dict | None:
    from search.engine.study import DataSpec, default_study_name, open_study, pinned
    from spaces import space
    from studies import load_study_spec

    spec = load_study_spec(family, trials=args.trials, horizon=args.horizon, sampler=args.sampler,
                           pruner=args.pruner, epochs=args.epochs, patience=args.patience,
                           eval_every=args.eval_every, folds=args.folds)
    data_spec = DataSpec.from_args(args, folds=spec.folds)
    final = data_spec.final_data(spec.horizon, refresh=args.refresh)
    data_spec = pinned(data_spec, final)  # workers and resumes read the same snapshot
    if final.frame.attrs.get("filled_days"):
        print(f"note: {final.frame.attrs['filled_days']} missing day(s) forward-filled (--fill-gaps)", flush=True)
    # The plan fits the shortest window (make_plan refuses data too short for it); longer ones may not.
    window = space(family).params[0]  # the shared window range comes first
    limit = final.plan.max_window(final.frame, horizon=spec.horizon)
    name = args.study or default_study_name(family, final, spec.horizon)
    study = open_study(name, args.storage, spec, data_spec, final, seed=args.seed, heartbeat=args.heartbeat)
    _store_baselines(study, final, spec.horizon)
    max_window = limit if limit < window.high else None
    if max_window:
        print(f"note: windows limited to {window.low}..{max_window} days: longer ones leave the first fold too "
              "little to train on", flush=True)
    if args.workers > 1:
        _run_workers(name, spec, data_spec, args, max_window)
        study = open_study(name, args.storage, spec, data_spec, final, seed=None, heartbeat=args.heartbeat)
    else:
        cli.load_tensorflow(args.verbose, threads=args.threads)
        if args.engine == "keras-tuner":
            _run_keras_tuner(spec, final, study, args)
        else:
            run_trials(study, spec, final, args, max_window=max_window)
    return finish(study, args)


def _store_baselines(study, final, horizon: int) -> None:
    """Naive's and the classical models' validation forecasts, once per study (ensembles read them)."""
    from search.engine.artifacts import BASELINES_KEY, artifact_store, save_table
    from search.engine.storage import RUNS
    from search.evaluation.validation import baseline_table

    if BASELINES_KEY not in study.user_attrs:
        save_table(study, artifact_store(RUNS), baseline_table(final, horizon), key=BASELINES_KEY,
                   filename="baselines-validation.csv")


def run_trials(study, spec, final, args, *, max_window=None, worker: int | None = None) -> None:
    """Run ``spec.trials`` trials of the study in this process, one line per trial."""
    from tqdm import tqdm

    from search.engine.artifacts import artifact_store
    from search.engine.objective import TRIAL_FAILURES, Objective
    from search.engine.storage import RUNS
    from search.engine.trainer import freeze_long_lived_objects, use_gpu_if_present

    gpus = use_gpu_if_present()
    finished = sum(t.state.is_finished() for t in study.get_trials(deepcopy=False))
    prefix = f"[worker {worker}] " if worker is not None else ""
    print(f"{prefix}study {study.study_name}: family {spec.family}, {spec.sampler} sampler, {spec.pruner} pruner, "
          f"{spec.trials} trials, {spec.folds} fold(s), up to {spec.epochs} epochs, horizon {spec.horizon}, "
          f"{'GPU' if gpus else 'CPU'}; {finished} earlier trials", flush=True)
    objective = Objective(spec, final.search(), seed=args.seed + finished + 1000 * (worker or 0),
                          max_window=max_window, artifacts=artifact_store(RUNS))
    freeze_long_lived_objects()  # once, where this process starts its trials
    bar = tqdm(total=spec.trials, unit="trial", leave=False, file=sys.stderr,
               disable=not sys.stderr.isatty() or worker is not None)

    def on_trial(study, trial):
        bar.update(1)
        bar.write(prefix + trial_line(trial), file=sys.stdout)
        sys.stdout.flush()  # a line per trial, as it ends, also through a pipe or `tee`

    started = time.perf_counter()
    try:
        study.optimize(objective, n_trials=spec.trials, timeout=args.timeout, callbacks=[on_trial],
                       catch=TRIAL_FAILURES, gc_after_trial=False)
    except KeyboardInterrupt:
        print(f"\n{prefix}interrupted: the running trial is marked FAIL; the study is kept.", flush=True)
        raise
    finally:
        bar.close()
        print(f"{prefix}{summary_line(study)}; {time.perf_counter() - started:.0f}s", flush=True)


def _worker(name: str, spec, data_spec, args, worker: int, threads: int, max_window) -> None:
    """One worker process: its share of the trials, on the shared study (a function, not a command line)."""
    from search.engine.study import open_study

    cli.quiet_libraries(args.verbose)
    cli.load_tensorflow(args.verbose, threads=threads)
    final = data_spec.final_data(spec.horizon)
    study = open_study(name, args.storage, spec, data_spec, final, seed=args.seed + 1000 * worker,
                       heartbeat=args.heartbeat)
    try:
        run_trials(study, spec, final, args, max_window=max_window, worker=worker)
    except KeyboardInterrupt:
        sys.exit(130)


def _run_workers(name: str, spec, data_spec, args, max_window) -> None:
    from dataclasses import replace

    threads = args.threads or max(1, (os.cpu_count() or 1) // args.workers)
    shares = [spec.trials // args.workers + (i < spec.trials % args.workers) for i in range(args.workers)]
    print(f"{args.workers} workers x {threads} TensorFlow thread(s): {shares} trials", flush=True)
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: TensorFlow is not fork-safe
    procs = [context.Process(target=_worker,
                             args=(name, replace(spec, trials=n), data_spec, args, i, threads, max_window))
             for i, n in enumerate(shares) if n]
    for p in procs:
        p.start()
    try:
        for p in procs:
            p.join()
    except KeyboardInterrupt:
        for p in procs:
            p.join()
        raise
    codes = [p.exitcode for p in procs]
    if any(codes):
        raise cli.UsageError(f"a worker exited with status {max(codes)}; the study is kept, see its output above")


def _run_keras_tuner(spec, final, study, args) -> None:
    from search.engine.kt_engine import copy_into_study, run_keras_tuner
    from search.engine.storage import RUNS

    print(f"study {study.study_name}: keras-tuner Hyperband, {spec.trials} trials, up to {spec.epochs} epochs, "
          f"{spec.folds} fold(s)", flush=True)
    started = time.perf_counter()
    before = len(study.trials)
    _, _, tuner = run_keras_tuner(spec, final.search(), directory=str(RUNS / "keras-tuner" / study.study_name),
                                  seconds=args.timeout, max_trials=spec.trials, seed=args.seed)
    copy_into_study(study, tuner)
    for trial in study.get_trials(deepcopy=False)[before:]:
        print(trial_line(trial), flush=True)
    print(f"{summary_line(study)}; {time.perf_counter() - started:.0f}s", flush=True)


def finish(study, args) -> dict | None:
    """Retrain, forecast and report, unless asked not to; say what was kept when interrupted."""
    import optuna

    if args.no_retrain or not any(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials):
        return None
    cli.load_tensorflow(args.verbose)
    from search.engine.artifacts import artifact_store
    from search.engine.storage import RUNS
    from search.evaluation.retrain import retrain_study
    from search.reporting.tables import format_table

    print(f"retraining the top {args.retrain_top} configuration(s) with {args.seeds} seed(s); protocols: static"
          + (f" and refit every {args.refit_every} days" if args.refit_every else "") + "...", flush=True)
    try:
        summary = retrain_study(study, top=args.retrain_top, seeds=args.seeds, refit_every=args.refit_every,
                                warm=args.refit_from == "warm", store=artifact_store(RUNS))
    except KeyboardInterrupt:
        print(f"\ninterrupted while retraining: the study's trials and any earlier results are kept; finish with "
              f"`python -m search.retrain --study {study.study_name}`", flush=True)
        raise
    print(format_table(summary), flush=True)
    if not args.no_report:
        from search.reporting.forecast import forecast_study
        from search.reporting.report import write_study_report

        _, chart = forecast_study(study, days=args.forecast_days)
        where = write_study_report(study)
        print(f"report: {where / 'report.html'} (also report.md, best_config.json); forecast: {chart}", flush=True)
    return summary
