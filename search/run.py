"""Search a model family's space with Optuna over walk-forward validation folds, retrain the best,
and compare every candidate with naive and the classical baselines on the sealed test split.

    python -m search.run --family lstm --trials 100

Studies are stored in ``runs/optuna.db`` by default; running the same command again resumes the
study (trials add up). ``python -m search.dashboard`` shows it live.
"""

from __future__ import annotations

import sys
import time

from search import cli
from search.pipeline import search_family
from spaces import FAMILIES
from studies import PRUNERS, SAMPLERS

EPILOG = "Each trial prints one line; Ctrl-C stops after marking the running trial FAIL, and keeps the study."


def build_parser() -> cli.Parser:
    p = cli.Parser(prog="python -m search.run", description=__doc__.split("\n\n")[0], epilog=EPILOG)
    pos = cli.at_least(1)
    p.add_argument("--family", required=True, choices=(*FAMILIES, "all"),
                   help="model family to search; 'all' runs every family's study in turn")
    p.add_argument("--trials", type=pos, help="trials to run now (default: the study's declaration in studies/)")
    p.add_argument("--timeout", type=float, help="stop starting new trials after this many seconds")
    p.add_argument("--study", help="study name (default FAMILY-DATASET-hH, e.g. lstm-btc-h1); an existing one resumes")
    p.add_argument("--storage", help="sqlite:///FILE.db (default runs/optuna.db), postgresql://..., or FILE.log journal")
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
    p.add_argument("--seed", type=int, default=0, help="base random seed of sampler and trials (default 0)")
    p.add_argument("--retrain-top", type=pos, default=3, help="best configurations to retrain and test (default 3)")
    p.add_argument("--seeds", type=pos, default=3, help="seeds per retrained configuration (default 3)")
    cli.add_protocol_options(p)
    p.add_argument("--no-retrain", action="store_true", help="search only; retrain later with search.retrain")
    p.add_argument("--forecast-days", type=pos, default=14, help="days to forecast past the data (default 14)")
    p.add_argument("--no-report", action="store_true", help="skip the future forecast and runs/reports/<study>/")
    p.add_argument("--workers", type=pos, default=1,
                   help="trial worker processes on this machine, sharing the cores (needs a journal FILE.log or "
                        "PostgreSQL storage; SQLite locks under concurrent writers)")
    p.add_argument("--threads", type=pos, help="TensorFlow threads per process (default: cores / workers)")
    p.add_argument("--heartbeat", type=pos, default=30,
                   help="database storages: seconds between worker heartbeats; a worker silent for 3 beats is dead "
                        "and its trial is retried (default 30)")
    p.add_argument("--verbose", action="store_true", help="show TensorFlow's and Optuna's logging")
    return p


def check_options(args) -> None:
    """Combinations argparse cannot see, refused before anything starts."""
    if args.workers > 1 and args.engine == "keras-tuner":
        raise cli.UsageError("--engine keras-tuner runs in one process; drop --workers, or use the optuna engine")
    if args.workers > 1 and (args.storage or "sqlite").startswith("sqlite"):
        raise cli.UsageError("--workers needs a storage for concurrent writers: --storage runs/optuna.log "
                             "(journal file) or postgresql://...")
    if args.study and args.family == "all":
        raise cli.UsageError("--study names one study; with --family all each family gets its own")


@cli.main_guard
def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    check_options(args)
    cli.quiet_libraries(args.verbose)
    families = list(FAMILIES) if args.family == "all" else [args.family]
    summaries = {}
    started = time.perf_counter()
    try:
        for family in families:
            summaries[family] = search_family(family, args)
    except KeyboardInterrupt:
        return 130
    if len(families) > 1:
        from search.reporting.tables import leaderboard_table

        done = [s for s in summaries.values() if s]
        if len(done) > 1 and not args.no_retrain:  # every family's best, naive and ETS, combined on validation
            from search.engine.study import load_existing
            from search.ensemble import run_ensemble

            args.top, args.size = 5, 20
            done.append(run_ensemble([load_existing(s["study"], args.storage) for s in done], args))
        print(leaderboard_table(done))
    print(f"done in {time.perf_counter() - started:.0f}s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
