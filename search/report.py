"""Write the reports people open: best configuration, candidates, one self-contained HTML page.

    python -m search.report --study dense-btc-h1
    python -m search.report --all

Writes under ``runs/reports/<study>/``: ``best_config.json`` (retrains with
``python -m search.retrain --config``), ``report.md`` and ``report.html`` (plotly embedded, works
offline). ``--all`` writes every study of the storage it can, the ensembles of its studies, then
``runs/reports/index.html`` and ``leaderboard.md``, and lists what it skipped and why.
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
    cli.add_workspace(parser)
    args = parser.parse_args(argv)
    cli.quiet_libraries()
    from search.engine.storage import open_storage
    from search.engine.study import identity, load_existing

    storage_url, ws = cli.storage_of(args), cli.workspace(args)
    if args.all:
        from search.reporting.leaderboard import write_all

        where, skipped = write_all(open_storage(storage_url, create=False), storage_url, ws)
        for line in skipped:
            print(f"skipped {line}")
        print(f"written: {where}")
    else:
        from search.reporting.report import write_study_report

        study = load_existing(args.study, storage_url)
        print(f"written: {write_study_report(study, identity(study, storage_url), ws)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
