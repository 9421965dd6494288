"""Combine several studies' best configurations, naive and the classical baselines into one
forecaster: greedy ensemble selection on the validation days they share, members retrained with
seeds, scored on test like every other candidate.

    python -m search.ensemble --studies dense-btc-h1,lstm-btc-h1,nbeats-btc-h1
    python -m search.ensemble --dataset btc --horizon 1          # every study of that data and horizon

Writes ``runs/<name>/`` (ensemble.json with members and weights, saved models, retrain.json) and
``runs/reports/<name>/report.html``. ``python -m search.forecast --ensemble <name>`` forecasts with it.
"""

from __future__ import annotations

import sys

from search import cli


def build_parser() -> cli.Parser:
    p = cli.Parser(prog="python -m search.ensemble", description=__doc__.split("\n\n")[0])
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--studies", help="comma-separated study names")
    which.add_argument("--dataset", help="every study of this dataset (its short name, e.g. btc) and --horizon")
    p.add_argument("--horizon", type=cli.at_least(1), default=1, help="with --dataset: the horizon (default 1)")
    p.add_argument("--name", help="ensemble name (default ensemble-DATASET-hH)")
    p.add_argument("--storage", help="storage URL (default: sqlite:///runs/optuna.db)")
    p.add_argument("--top", type=cli.at_least(1), default=5, help="candidate trials per study (default 5)")
    p.add_argument("--size", type=cli.at_least(1), default=20, help="most picks, with replacement (default 20)")
    p.add_argument("--seeds", type=cli.at_least(1), default=3, help="seeds per retrained member (default 3)")
    cli.add_protocol_options(p)
    p.add_argument("--verbose", action="store_true", help="show TensorFlow's logging")
    return p


def studies_of(args, storage):
    import optuna

    from search.engine.study import load_existing
    from search.errors import StudyStateError

    if args.studies:
        names = [n.strip() for n in args.studies.split(",") if n.strip()]
    else:
        names = [s.study_name for s in optuna.get_all_study_summaries(storage)
                 if s.user_attrs.get("dataset") == args.dataset and s.user_attrs.get("horizon") == args.horizon]
        if not names:
            raise StudyStateError(f"no study of dataset {args.dataset!r} and horizon {args.horizon} in the storage")
    return [load_existing(name, args.storage) for name in names]


def run_ensemble(studies, args, *, name: str | None = None) -> dict:
    """Select, retrain, score and report; TensorFlow must be loaded."""
    from search.engine.artifacts import artifact_store
    from search.engine.storage import RUNS
    from search.evaluation.cross_study import build_ensemble
    from search.reporting.report import write_ensemble_report
    from search.reporting.tables import format_table

    first = studies[0].user_attrs
    name = name or f"ensemble-{first['dataset']}-h{first['horizon']}"
    print(f"ensemble {name}: selecting among the top {args.top} trials of {len(studies)} studies, naive and the "
          "classical baselines...", flush=True)
    summary = build_ensemble(studies, name=name, top=args.top, size=args.size, seeds=args.seeds,
                             refit_every=args.refit_every, warm=args.refit_from == "warm",
                             store=artifact_store(RUNS))
    print(f"selection took {summary['selection_seconds']:.2f}s", flush=True)
    print(format_table(summary), flush=True)
    print(f"report: {write_ensemble_report(summary) / 'report.html'}", flush=True)
    return summary


@cli.main_guard
def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    cli.quiet_libraries(args.verbose)
    from search.engine.storage import check_study_name, open_storage
    from search.engine.study import compatible

    if args.name:
        check_study_name(args.name)
    studies = studies_of(args, open_storage(args.storage, create=False))
    compatible(studies)  # refused in one line before TensorFlow loads
    cli.load_tensorflow(args.verbose)
    run_ensemble(studies, args, name=args.name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
