"""One family's search, as :class:`RunOptions` say: check the data, open the study, run its trials
(here, in worker processes, or with keras-tuner), then retrain, forecast and report.

TensorFlow loads only after the options, the data, the storage and the results folder have been
checked. ``search.run`` parses its command line into these options; nothing here reads argparse.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from dataclasses import dataclass, field, replace

from data import DataSpec
from search import cli
from search.evaluation.options import EnsembleOptions, RetrainOptions
from search.workspace import Workspace


@dataclass(frozen=True)
class SearchOptions:
    seed: int = 0  # of the sampler's streams and of each trial's training (seed + trial number)
    timeout: float | None = None  # seconds after which no trial starts
    engine: str = "optuna"  # or keras-tuner
    workers: int = 1  # trial processes on this machine
    threads: int | None = None  # TensorFlow threads per process (default: cores / workers)
    heartbeat: int | None = None  # database storages: seconds between worker heartbeats
    stop: bool = True  # stop when more trials cannot plausibly change the answer (search.engine.stopping)
    verbose: bool = False


@dataclass(frozen=True)
class RunOptions:
    family: str
    storage: str
    data: DataSpec = field(default_factory=DataSpec)
    study: str | None = None  # default FAMILY-DATASET-hH
    overrides: dict = field(default_factory=dict)  # StudySpec fields the command line sets
    search: SearchOptions = field(default_factory=SearchOptions)
    retrain: RetrainOptions | None = field(default_factory=RetrainOptions)  # None: search only
    forecast_days: int | None = 14  # None: no forecast nor report
    refresh: bool = False
    ws: Workspace = field(default_factory=Workspace)

    def ensemble(self) -> EnsembleOptions:
        """The cross-study ensemble ``--family all`` ends with: the retrain's seeds and protocols."""
        return EnsembleOptions(seeds=self.retrain.seeds, protocols=self.retrain.protocols)


def _fmt(value) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def trial_line(trial) -> str:
    """One line per finished trial. A pruned trial shows the score it was pruned on, its most recent
    fold's alone, labelled so, since it is not comparable with a complete trial's pooled score."""
    from search.engine.study import SKIPPED

    score = f"val rel. MAE {trial.value:.4f}" if trial.value is not None else "val rel. MAE    -  "
    if trial.state.name == "PRUNED" and trial.intermediate_values:
        score = f"last fold    {trial.intermediate_values[max(trial.intermediate_values)]:.4f}"
    attrs = trial.user_attrs
    params = " ".join(f"{k}={_fmt(v)}" for k, v in trial.params.items())
    reason = attrs.get("fail_reason") or attrs.get(SKIPPED)
    reason = f"  ({reason})" if reason else ""
    return (f"trial {trial.number:4d} {trial.state.name:8s} {score}  epochs {attrs.get('epochs', 0):4d}  "
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


def prepare(family: str, opts: RunOptions):
    """The study's declaration, its data and split, and the window the data allows, all checked."""
    from spaces import space
    from studies import load_study_spec

    spec = load_study_spec(family, **opts.overrides)
    data = replace(opts.data, folds=spec.folds)
    final = data.final_data(spec.horizon, refresh=opts.refresh)
    data = data.pinned(final)  # workers and resumes read the same snapshot
    if final.frame.attrs.get("filled_days"):
        print(f"note: {final.frame.attrs['filled_days']} missing day(s) forward-filled (--fill-gaps)", flush=True)
    # The plan fits the shortest window (make_plan refuses data too short for it); longer ones may not.
    window = space(family).param("window")
    limit = final.plan.max_window(final.frame, horizon=spec.horizon)
    max_window = limit if limit < window.high else None
    if max_window:
        print(f"note: windows limited to {window.low}..{max_window} days: longer ones leave the first fold too "
              "little to train on", flush=True)
    return spec, data, final, max_window


def search_family(family: str, opts: RunOptions) -> dict | None:
    from search.engine.storage import check_url
    from search.engine.study import default_study_name, open_study
    from search.prefetch import prefetch_baselines

    spec, data, final, max_window = prepare(family, opts)
    check_url(opts.storage)
    opts.ws.check_writable()
    name = opts.study if opts.study is not None else default_study_name(family, final, spec.horizon)
    study = open_study(name, opts.storage, spec, data, final, seed=opts.search.seed, heartbeat=opts.search.heartbeat)
    prefetch = prefetch_baselines(data, final, spec.horizon, opts.retrain, opts.ws)
    try:
        if opts.search.workers > 1:
            _run_workers(name, spec, data, opts, max_window)
        else:
            cli.load_backend(opts.search.verbose, threads=opts.search.threads)
            if opts.search.engine == "keras-tuner":
                _run_keras_tuner(spec, final, study, opts)
            else:
                run_trials(study, spec, final, opts, max_window=max_window)
        return finish(study, opts)
    finally:
        if prefetch is not None and prefetch.is_alive():  # interrupted, or no complete trial to retrain
            prefetch.terminate()
            prefetch.join()


def run_trials(study, spec, final, opts: RunOptions, *, max_window=None, worker: int | None = None) -> None:
    """Run ``spec.trials`` trials of the study in this process, one line per trial."""
    from tqdm import tqdm

    from search.engine import backend
    from search.engine.artifacts import artifact_store
    from search.engine.objective import TRIAL_FAILURES, Objective
    from search.engine.trainer import freeze_long_lived_objects, use_gpu_if_present
    from search.stopper import Stopper

    gpus = use_gpu_if_present()
    finished = sum(t.state.is_finished() for t in study.get_trials(deepcopy=False))
    prefix = f"[worker {worker}] " if worker is not None else ""
    print(f"{prefix}study {study.study_name}: family {spec.family}, {spec.sampler} sampler, {spec.pruner} pruner, "
          f"{spec.trials} trials, {spec.folds} fold(s), up to {spec.epochs} epochs, horizon {spec.horizon}, "
          f"{'GPU' if gpus else 'CPU'} ({backend.name()}); {finished} earlier trials", flush=True)
    store = artifact_store(opts.ws.artifacts)
    objective = Objective(spec, final.search(), seed=opts.search.seed, max_window=max_window, artifacts=store)
    freeze_long_lived_objects()  # once, where this process starts its trials
    bar = tqdm(total=spec.trials, unit="trial", leave=False, file=sys.stderr,
               disable=not sys.stderr.isatty() or worker is not None)
    stopper = Stopper(study, final, spec.horizon, opts.ws, store, finished) if opts.search.stop else None

    def on_trial(study, trial):
        bar.update(1)
        bar.write(prefix + trial_line(trial), file=sys.stdout)
        sys.stdout.flush()  # a line per trial, as it ends, also through a pipe or `tee`
        if stopper is not None and stopper(study, trial):
            bar.write(f"{prefix}stopped after trial {trial.number}: {stopper.rule.reason}; --no-stop runs every trial",
                      file=sys.stdout)
            study.stop()

    started = time.perf_counter()
    try:
        study.optimize(objective, n_trials=spec.trials, timeout=opts.search.timeout, callbacks=[on_trial],
                       catch=TRIAL_FAILURES, gc_after_trial=False)
    except KeyboardInterrupt:
        print(f"\n{prefix}interrupted: the running trial is marked FAIL; the study is kept.", flush=True)
        raise
    finally:
        bar.close()
        print(f"{prefix}{summary_line(study)}; {time.perf_counter() - started:.0f}s", flush=True)


def _worker(name: str, spec, data: DataSpec, opts: RunOptions, worker: int, threads: int, max_window) -> None:
    """One worker process: its share of the trials, on the shared study (a function, not a command line)."""
    from search.engine.study import open_study

    cli.quiet_libraries(opts.search.verbose)
    cli.load_backend(opts.search.verbose, threads=threads)
    final = data.final_data(spec.horizon)
    study = open_study(name, opts.storage, spec, data, final, seed=opts.search.seed, heartbeat=opts.search.heartbeat)
    try:
        run_trials(study, spec, final, opts, max_window=max_window, worker=worker)
    except KeyboardInterrupt:
        cli.exit_with(cli.INTERRUPTED)


def _run_workers(name: str, spec, data: DataSpec, opts: RunOptions, max_window) -> None:
    workers = opts.search.workers
    threads = opts.search.threads or max(1, (os.cpu_count() or 1) // workers)
    shares = [spec.trials // workers + (i < spec.trials % workers) for i in range(workers)]
    print(f"{workers} workers x {threads} TensorFlow thread(s): {shares} trials", flush=True)
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: TensorFlow is not fork-safe
    procs = [context.Process(target=_worker, args=(name, replace(spec, trials=n), data, opts, i, threads, max_window))
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


def _run_keras_tuner(spec, final, study, opts: RunOptions) -> None:
    from search.engine.artifacts import artifact_store
    from search.engine.kt_engine import copy_into_study, run_keras_tuner

    print(f"study {study.study_name}: keras-tuner Hyperband, {spec.trials} trials, up to {spec.epochs} epochs, "
          f"{spec.folds} fold(s)", flush=True)
    started = time.perf_counter()
    before = len(study.trials)
    _, _, tuner = run_keras_tuner(spec, final.search(), directory=str(opts.ws.root / "keras-tuner" / study.study_name),
                                  seconds=opts.search.timeout, max_trials=spec.trials, seed=opts.search.seed)
    copy_into_study(study, tuner, artifact_store(opts.ws.artifacts))
    for trial in study.get_trials(deepcopy=False)[before:]:
        print(trial_line(trial), flush=True)
    print(f"{summary_line(study)}; {time.perf_counter() - started:.0f}s", flush=True)


def finish(study, opts: RunOptions) -> dict | None:
    """Retrain, forecast and report, unless asked not to; say what was kept when interrupted."""
    import optuna

    if opts.retrain is None or not any(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials):
        return None
    cli.load_backend(opts.search.verbose)
    from search.engine.artifacts import artifact_store
    from search.engine.storage import redact
    from search.engine.study import final_data_of, identity
    from search.evaluation import budget
    from search.evaluation.retrain import retrain_study
    from search.reporting.tables import format_table

    r = opts.retrain
    print(f"retraining the top {r.top} configuration(s) with {r.seeds} seed(s); protocols: "
          + ", ".join(p.label for p in r.protocols.protocols()) + "...", flush=True)
    ident = identity(study, opts.storage)
    try:
        summary = retrain_study(study, ident, options=r, ws=opts.ws, store=artifact_store(opts.ws.artifacts))
    except KeyboardInterrupt:
        print(f"\ninterrupted while retraining: the study's trials and any earlier results are kept; finish with "
              f"`python -m search.retrain --study {study.study_name} --storage {redact(opts.storage)}`", flush=True)
        raise
    print(format_table(summary), flush=True)
    if left_out := budget.note(summary["budget"]):
        print(left_out, flush=True)
    t = summary["timing"]
    print(f"retrain {t['total']:.0f}s: networks {t['networks']:.0f}s, classical forecasts {t['classical']:.0f}s "
          "(cached by data, or waited for)", flush=True)
    if opts.forecast_days:
        from search.reporting.forecast import forecast
        from search.reporting.report import write_study_report

        started = time.perf_counter()
        _, chart = forecast(ident, final_data_of(study).frame, days=opts.forecast_days, ws=opts.ws)
        forecast_s = time.perf_counter() - started
        where = write_study_report(study, ident, opts.ws)
        print(f"report: {where / 'report.html'} (also report.md, best_config.json); forecast: {chart}; "
              f"forecast {forecast_s:.0f}s, report {time.perf_counter() - started - forecast_s:.0f}s", flush=True)
    return summary
