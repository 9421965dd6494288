"""Retrain a study's best configurations on every day before the test split and score every
candidate once on it: naive, AutoETS, AutoTheta, AutoARIMA, the configurations and the best one
shrunk toward naive, under the static fit and a rolling refit.

    python -m search.retrain --study lstm-btc-h1 --top 3 --seeds 3 --refit-every 30
    python -m search.retrain --config runs/reports/lstm-btc-h1/best_config.json

Writes ``runs/<study>/retrain.json`` and the files it names. Reports read these; they do not
recompute. An interrupted retrain leaves the earlier results as they were.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from search import cli


@cli.main_guard
def main(argv=None) -> int:
    parser = cli.Parser(prog="python -m search.retrain", description=__doc__.split("\n\n")[0])
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--study", help="study name (see `python -m search.report --all`)")
    which.add_argument("--config", type=Path, help="a best_config.json written by search.report: retrain from it alone")
    parser.add_argument("--storage", help="storage URL (default: sqlite:///runs/optuna.db)")
    parser.add_argument("--top", type=cli.at_least(1), default=3, help="best configurations to retrain (default 3)")
    parser.add_argument("--seeds", type=cli.at_least(1), default=3, help="random seeds per configuration (default 3)")
    cli.add_protocol_options(parser)
    parser.add_argument("--verbose", action="store_true", help="show TensorFlow's logging")
    args = parser.parse_args(argv)
    cli.quiet_libraries(args.verbose)
    if args.config:
        cli.load_tensorflow(args.verbose)
        from search.evaluation.from_config import retrain_from_file

        result = retrain_from_file(args.config)
        print(json.dumps({k: result[k] for k in ("mean", "std", "rel_mae", "dm_p", "beats_naive")}, indent=2))
        return 0
    from search.engine.study import load_existing, require_completed

    study = load_existing(args.study, args.storage)
    require_completed(study)
    cli.load_tensorflow(args.verbose)
    from search.engine.artifacts import artifact_store
    from search.engine.storage import RUNS
    from search.evaluation.retrain import retrain_study
    from search.reporting.tables import format_table

    print(f"retraining {study.study_name}...", flush=True)
    try:
        summary = retrain_study(study, top=args.top, seeds=args.seeds, refit_every=args.refit_every,
                                warm=args.refit_from == "warm", store=artifact_store(RUNS, create=False))
    except KeyboardInterrupt:
        print(f"\ninterrupted: earlier results in runs/{study.study_name}/ are kept as they were; run "
              f"`python -m search.retrain --study {study.study_name}` again to finish", flush=True)
        return 130
    print(format_table(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
