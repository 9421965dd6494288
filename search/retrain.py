"""Retrain a study's best configurations on every day before the test split and score every
candidate once on it: naive, AutoETS, AutoTheta, AutoARIMA, the configurations and the best one
shrunk toward naive, under the static fit and a rolling refit.

    python -m search.retrain --study lstm-btc-h1 --top 3 --seeds 3 --refit-every 30
    python -m search.retrain --config runs/reports/lstm-btc-h1/best_config.json

Writes ``runs/<study>/retrain.json`` and the files it names. Reports read these; they do not
recompute. An interrupted retrain leaves the earlier results as they were; a second retrain of the
same study waits for the first.
"""

from __future__ import annotations

import json
from pathlib import Path

from search import cli
from search.evaluation.options import RULE, RULES, SEEDS, RetrainOptions


@cli.main_guard
def main(argv=None) -> int:
    parser = cli.Parser(prog="python -m search.retrain", description=__doc__.split("\n\n")[0])
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--study", help="study name (see `python -m search.report --all`)")
    which.add_argument("--config", type=Path, help="a best_config.json written by search.report: retrain from it alone")
    cli.add_workspace(parser)
    parser.add_argument("--top", type=cli.at_least(1), default=RetrainOptions.top,
                        help=f"best configurations to retrain (default {RetrainOptions.top})")
    parser.add_argument("--seeds", type=cli.at_least(1), default=SEEDS,
                        help=f"random seeds per configuration (default {SEEDS})")
    parser.add_argument("--guard", choices=RULES, default=RULE, help=f"the recommendation's guard (default {RULE})")
    cli.add_protocol_options(parser)
    cli.add_budget_option(parser, "--budget")
    parser.add_argument("--verbose", action="store_true", help="show TensorFlow's logging")
    args = parser.parse_args(argv)
    cli.quiet_libraries(args.verbose)
    ws = cli.workspace(args)
    if args.config:
        from search.evaluation.from_config import read_config_file

        config_file = read_config_file(args.config)  # a malformed file is one line before TensorFlow loads
        ws.check_writable()
        cli.load_backend(args.verbose)
        from search.evaluation.from_config import retrain_from_file

        result = retrain_from_file(config_file, ws)
        print(json.dumps({k: result[k] for k in ("mean", "std", "rel_mae", "dm_p", "beats_naive")}, indent=2))
        return 0
    from search.engine.storage import redact
    from search.engine.study import final_data_of, identity, load_existing, require_completed

    storage_url = cli.storage_of(args)
    study = load_existing(args.study, storage_url)
    require_completed(study)
    final_data_of(study)  # the data is still there and unchanged: one line if not
    ws.check_writable()
    cli.load_backend(args.verbose)
    from search.engine.artifacts import artifact_store
    from search.evaluation import budget
    from search.evaluation.retrain import retrain_study
    from search.reporting.tables import format_table

    print(f"retraining {study.study_name}...", flush=True)
    options = RetrainOptions(top=args.top, seeds=args.seeds, protocols=cli.protocols(args), rule=args.guard,
                             budget=args.budget)
    try:
        summary = retrain_study(study, identity(study, storage_url), options=options, ws=ws,
                                store=artifact_store(ws.artifacts, create=False))
    except KeyboardInterrupt:
        again = f"python -m search.retrain --study {study.study_name}" + (
            f" --storage {redact(args.storage)}" if args.storage else "")
        print(f"\ninterrupted: earlier results of {study.study_name} are kept as they were; run `{again}` again "
              "to finish", flush=True)
        return cli.INTERRUPTED
    print(format_table(summary))
    if left_out := budget.note(summary["budget"]):
        print(left_out)
    return 0


if __name__ == "__main__":
    cli.exit_with(main())
