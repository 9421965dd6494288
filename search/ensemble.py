"""Combine several studies' best configurations, naive and the classical baselines into one
forecaster: greedy ensemble selection on the validation days they share, members retrained with
seeds, scored on test like every other candidate.

    python -m search.ensemble --studies dense-btc-h1,lstm-btc-h1,nbeats-btc-h1
    python -m search.ensemble --dataset btc --horizon 1          # every study of that data and horizon

Writes ``runs/ensembles/<name>/`` (ensemble.json with members and weights, saved models,
retrain.json) and ``runs/reports/ensembles/<name>/report.html``; ``python -m search.forecast
--ensemble <name>`` forecasts with it. An ensemble's name is its own namespace: no study's name
collides with it, and a name already given to an ensemble of other studies is refused.
"""

from __future__ import annotations

import sys

from search import cli
from search.evaluation.options import ENSEMBLE_SIZE, SEEDS, EnsembleOptions


def build_parser() -> cli.Parser:
    p = cli.Parser(prog="python -m search.ensemble", description=__doc__.split("\n\n")[0])
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--studies", help="comma-separated study names")
    which.add_argument("--dataset", help="every study of this dataset (its short name, e.g. btc) and --horizon")
    p.add_argument("--horizon", type=cli.at_least(1), default=1, help="with --dataset: the horizon (default 1)")
    p.add_argument("--name", help="ensemble name (default combined-DATASET-hH)")
    cli.add_workspace(p)
    p.add_argument("--top", type=cli.at_least(1), default=EnsembleOptions.top,
                   help=f"candidate trials per study (default {EnsembleOptions.top})")
    p.add_argument("--size", type=cli.at_least(1), default=ENSEMBLE_SIZE,
                   help=f"most picks, with replacement (default {ENSEMBLE_SIZE})")
    p.add_argument("--seeds", type=cli.at_least(1), default=SEEDS, help=f"seeds per retrained member (default {SEEDS})")
    cli.add_protocol_options(p)
    p.add_argument("--verbose", action="store_true", help="show TensorFlow's logging")
    return p


def studies_of(args, storage_url: str):
    import optuna

    from search.engine.storage import open_storage
    from search.engine.study import load_existing
    from search.errors import StudyStateError

    if args.studies:
        names = [n.strip() for n in args.studies.split(",") if n.strip()]
    else:
        names = [s.study_name for s in optuna.get_all_study_summaries(open_storage(storage_url, create=False))
                 if s.user_attrs.get("dataset") == args.dataset and s.user_attrs.get("horizon") == args.horizon]
        if not names:
            raise StudyStateError(f"no study of dataset {args.dataset!r} and horizon {args.horizon} in the storage")
    return [load_existing(name, storage_url) for name in names]


def run_ensemble(studies, name: str, storage_url: str, options: EnsembleOptions, *, ws) -> dict:
    """Select, retrain, score and report; TensorFlow must be loaded."""
    from search.engine.artifacts import artifact_store
    from search.engine.study import ensemble_identity
    from search.evaluation.cross_study import build_ensemble
    from search.reporting.report import write_ensemble_report
    from search.reporting.tables import format_table

    ident = ensemble_identity(name, studies, storage_url)
    ws.claim(ident)  # another ensemble of this name is refused before any work
    print(f"ensemble {name}: selecting among the top {options.top} trials of {len(studies)} studies, naive and the "
          "classical baselines...", flush=True)
    summary = build_ensemble(studies, ident, options=options, ws=ws, store=artifact_store(ws.artifacts))
    print(f"selection took {summary['selection_seconds']:.2f}s", flush=True)
    print(format_table(summary), flush=True)
    print(f"report: {write_ensemble_report(ident, ws) / 'report.html'}", flush=True)
    return summary


@cli.main_guard
def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    cli.quiet_libraries(args.verbose)
    import optuna

    from search.engine.storage import check_study_name, redact
    from search.engine.study import compatible, ensemble_identity

    storage_url = cli.storage_of(args)
    studies = studies_of(args, storage_url)
    compatible(studies)  # refused in one line before TensorFlow loads
    first = studies[0].user_attrs
    name = check_study_name(args.name) if args.name is not None else f"combined-{first['dataset']}-h{first['horizon']}"
    if name in optuna.get_all_study_names(studies[0]._storage):
        raise cli.UsageError(f"--name {name!r} is a study's name in {redact(storage_url)}; an ensemble needs a name "
                             "of its own")
    ws = cli.workspace(args)
    ws.check_writable()
    ws.claim(ensemble_identity(name, studies, storage_url))
    cli.load_backend(args.verbose)
    options = EnsembleOptions(top=args.top, size=args.size, seeds=args.seeds, protocols=cli.protocols(args))
    run_ensemble(studies, name, storage_url, options, ws=ws)
    return 0


if __name__ == "__main__":
    sys.exit(main())
