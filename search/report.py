"""Write the reports people open: best configuration, candidates, one self-contained HTML page.

    python -m search.report --study dense-btc-h1
    python -m search.report --all

Writes under ``runs/reports/<study>/``: ``best_config.json`` (retrains with
``python -m search.retrain --config``), ``report.md`` and ``report.html`` (plotly embedded, works
offline). ``--all`` writes every study it can, then ``runs/reports/index.html`` and
``leaderboard.md``, and lists the studies it skipped and why.
"""

from __future__ import annotations

import sys

from search import cli


@cli.main_guard
def main(argv=None) -> int:
    parser = cli.Parser(prog="python -m search.report", description=__doc__.split("\n\n")[0])
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--study", help="write the report of one study")
    which.add_argument("--all", action="store_true", help="every study in the storage, plus a leaderboard")
    parser.add_argument("--storage", help="storage URL (default: sqlite:///runs/optuna.db)")
    args = parser.parse_args(argv)
    cli.quiet_libraries()
    from search.engine.storage import open_storage
    from search.engine.study import load_existing
    from search.reporting.report import write_all, write_study_report

    if args.all:
        where, skipped = write_all(open_storage(args.storage, create=False))
        for line in skipped:
            print(f"skipped {line}")
        print(f"written: {where}")
    else:
        print(f"written: {write_study_report(load_existing(args.study, args.storage))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
