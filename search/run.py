"""Search a model family's space with Optuna over walk-forward validation folds, retrain the best,
and compare every candidate with naive and the classical baselines on the sealed test split.

    python -m search.run --family lstm --trials 100

Studies are stored in ``runs/optuna.db`` by default; running the same command again resumes the
study (trials add up). ``python -m search.dashboard`` shows it live.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import fields

from search import cli
from search.engine import backend
from search.engine.storage import HEARTBEAT_SECONDS
from search.evaluation.options import RULE, RULES, SEEDS, RetrainOptions
from search.pipeline import RunOptions, SearchOptions, search_family
from studies import PRUNERS, SAMPLERS, StudySpec


def families() -> list[str]:
    """Families with a space module and a study declaration."""
    import spaces
    import studies

    return [f for f in spaces.families() if f in studies.families()]



EPILOG = "Each trial prints one line; Ctrl-C stops after marking the running trial FAIL, and keeps the study."


def build_parser() -> cli.Parser:
    p = cli.Parser(prog="python -m search.run", description=__doc__.split("\n\n")[0], epilog=EPILOG)
    pos = cli.at_least(1)
    p.add_argument("--family", required=True, choices=(*families(), "all"),
                   help="model family to search; 'all' runs every family's study in turn, then an ensemble of them")
    p.add_argument("--trials", type=pos, help="trials to run now (default: the study's declaration in studies/)")
    p.add_argument("--timeout", type=float, help="stop starting new trials after this many seconds")
    p.add_argument("--no-stop", action="store_true",
                   help="run every trial asked for, even when more cannot plausibly change the answer (README)")
    p.add_argument("--study", help="study name (default FAMILY-DATASET-hH, e.g. lstm-btc-h1); an existing one resumes")
    cli.add_workspace(p)
    cli.add_data_args(p)
    p.add_argument("--horizon", type=pos, help="days ahead to forecast (default 1)")
    p.add_argument("--folds", type=pos, help="walk-forward validation folds of --val-size days (default: the study's)")
    p.add_argument("--engine", choices=("optuna", "keras-tuner"), default="optuna",
                   help="optuna (default) or keras-tuner's Hyperband over the same space; both write to the study")
    p.add_argument("--sampler", choices=SAMPLERS, help="Optuna sampler (default tpe)")
    p.add_argument("--pruner", choices=PRUNERS, help="pruner of weak trials (default sha: successive halving)")
    p.add_argument("--epochs", type=pos, help="epoch cap per trial (default: the study's)")
    p.add_argument("--patience", type=pos, help="early-stopping patience in epochs (default: the study's)")
    p.add_argument("--eval-every", type=pos, help="epochs between validation checks / pruning reports")
    p.add_argument("--rungs", choices=("cost", "epochs"),
                   help="what the pruner's rungs count: training cost (default: a model 50x as costly per epoch "
                        "meets each rung after 1/50 of the epochs) or epochs, whatever they cost")
    p.add_argument("--cpu-max-macs", type=_macs, metavar="N",
                   help="without a GPU, prune before training any configuration over N multiply-adds per window "
                        "(default: the study's cpu_max_macs; inf: no limit)")
    p.add_argument("--seed", type=int, default=0, help="base random seed of sampler and trials (default 0)")
    p.add_argument("--retrain-top", type=pos, default=RetrainOptions.top,
                   help=f"best configurations to retrain and test (default {RetrainOptions.top})")
    p.add_argument("--seeds", type=pos, default=SEEDS, help=f"seeds per retrained configuration (default {SEEDS})")
    p.add_argument("--guard", choices=RULES, default=RULE,
                   help=f"how a searched candidate may displace naive or a classical model (default {RULE}; README)")
    cli.add_protocol_options(p)
    cli.add_budget_option(p, "--retrain-budget")
    p.add_argument("--no-retrain", action="store_true", help="search only; retrain later with search.retrain")
    p.add_argument("--forecast-days", type=cli.at_most(1, 365, "a daily band says little further out"), default=14,
                   help="days to forecast past the data (default 14)")
    p.add_argument("--no-report", action="store_true", help="skip the future forecast and the report")
    p.add_argument("--workers", type=pos, default=1,
                   help="trial worker processes on this machine, sharing the cores (needs a journal FILE.log or "
                        "PostgreSQL storage; SQLite locks under concurrent writers)")
    p.add_argument("--threads", type=pos, help="TensorFlow threads per process (default: cores / workers)")
    p.add_argument("--heartbeat", type=pos, default=HEARTBEAT_SECONDS,
                   help="database storages: seconds between worker heartbeats; a worker silent for 3 beats is dead "
                        f"and its trial is retried (default {HEARTBEAT_SECONDS})")
    p.add_argument("--backend", choices=backend.BACKENDS,
                   help="Keras backend to train on (default: $KERAS_BACKEND, else tensorflow); trials record it")
    p.add_argument("--verbose", action="store_true", help="show TensorFlow's and Optuna's logging")
    return p


def _macs(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:  # NaN too
        raise argparse.ArgumentTypeError(f"must be positive (inf: no limit), got {text}")
    return value


def check_options(args) -> None:
    """Combinations argparse cannot see, refused before anything starts."""
    if args.workers > 1 and args.engine == "keras-tuner":
        raise cli.UsageError("--engine keras-tuner runs in one process; drop --workers, or use the optuna engine")
    if args.workers > 1 and cli.storage_of(args).startswith("sqlite"):
        raise cli.UsageError("--workers needs a storage for concurrent writers: --storage runs/optuna.log "
                             "(journal file) or postgresql://...")
    if args.study is not None and args.family == "all":
        raise cli.UsageError("--study names one study; with --family all each family gets its own")
    if args.study is not None:
        from search.engine.storage import check_study_name

        check_study_name(args.study)


def options_from(args) -> RunOptions:
    overrides = {f.name: getattr(args, f.name) for f in fields(StudySpec)
                 if f.name != "family" and getattr(args, f.name, None) is not None}
    retrain = None if args.no_retrain else RetrainOptions(top=args.retrain_top, seeds=args.seeds,
                                                         protocols=cli.protocols(args), rule=args.guard,
                                                         budget=args.retrain_budget)
    search = SearchOptions(seed=args.seed, timeout=args.timeout, engine=args.engine, workers=args.workers,
                           threads=args.threads, heartbeat=args.heartbeat, stop=not args.no_stop, verbose=args.verbose)
    return RunOptions(family=args.family, storage=cli.storage_of(args), data=cli.data_spec(args), study=args.study,
                      overrides=overrides, search=search, retrain=retrain,
                      forecast_days=None if args.no_report else args.forecast_days, refresh=args.refresh,
                      ws=cli.workspace(args))


def run_all(opts: RunOptions) -> None:
    """Every family's study in turn, then one ensemble of their best and a leaderboard."""
    from search.reporting.tables import leaderboard_table

    done = [s for s in (search_family(family, opts) for family in families()) if s]
    if len(done) > 1 and opts.retrain is not None:
        from search.engine.study import load_existing
        from search.ensemble import run_ensemble

        studies = [load_existing(s["study"], opts.storage) for s in done]
        name = f"combined-{done[0]['dataset']}-h{done[0]['horizon']}"
        done.append(run_ensemble(studies, name, opts.storage, opts.ensemble(), ws=opts.ws))
    print(leaderboard_table(done))


@cli.main_guard
def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    check_options(args)
    backend.choose(args.backend)
    cli.quiet_libraries(args.verbose)
    opts = options_from(args)
    started = time.perf_counter()
    try:
        if args.family == "all":
            run_all(opts)
        else:
            search_family(args.family, opts)
    except KeyboardInterrupt:
        return cli.INTERRUPTED
    print(f"done in {time.perf_counter() - started:.0f}s", flush=True)
    return 0


if __name__ == "__main__":
    cli.exit_with(main())
