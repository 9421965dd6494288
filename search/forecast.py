"""Forecast the days after the data ends with a study's recommended forecaster (the seed's model 9).

    python -m search.forecast --study dense-btc-h1 --days 14
    python -m search.forecast --study dense-yahoo-BTC-USD-h1 --data yahoo:BTC-USD   # from today's prices
    python -m search.forecast --ensemble combined-btc-h1

With ``--data``, the forecaster is refitted on that data up to its last day (it must have the
study's columns, daily). Writes ``forecast.csv`` beside the study's results and ``forecast.html``
beside its report.
"""

from __future__ import annotations

import sys

from search import cli
from search.reporting.forecast import MAX_DAYS


def _ensemble(name: str, storage_url: str, ws):
    """The ensemble ``name`` of this workspace, built from studies of ``storage_url``."""
    import optuna

    from search.engine.storage import check_study_name, open_storage, redact
    from search.engine.study import identity
    from search.errors import ResultsError
    from search.workspace import OWNER, Identity, read_owner

    check_study_name(name)
    owner = read_owner(ws.root / "ensembles" / name)
    if owner.get("kind") != "ensemble":
        storage = open_storage(storage_url, create=False)
        study = name in optuna.get_all_study_names(storage)
        hint = f"; {name!r} is a study: use --study {name}" if study else ""
        raise ResultsError(f"no ensemble named {name!r} in {ws.root / 'ensembles'}{hint}")
    ident = Identity(**{k: owner.get(k, "") for k in ("kind", "name", "uid", "storage", "detail")})
    from search.results import read_summary

    summary = read_summary(ws, ident)
    storage = open_storage(storage_url, create=False)
    uids = {identity(optuna.load_study(study_name=n, storage=storage), storage_url).uid
            for n in optuna.get_all_study_names(storage)}
    if not set(summary.get("study_uids", [])) <= uids:
        raise ResultsError(f"ensemble {name!r} ({ws.root / 'ensembles' / name / OWNER}) combines studies of "
                           f"{owner.get('storage')}, not of {redact(storage_url)}; pass that --storage")
    return ident, summary


@cli.main_guard
def main(argv=None) -> int:
    parser = cli.Parser(prog="python -m search.forecast", description=__doc__.split("\n\n")[0])
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--study", help="study whose recommended forecaster forecasts")
    which.add_argument("--ensemble", help="an ensemble made by search.ensemble (its name)")
    cli.add_workspace(parser)
    parser.add_argument("--days", type=cli.at_most(1, MAX_DAYS, "a daily band says little further out"), default=14,
                        help="days to forecast past the last date (default 14)")
    parser.add_argument("--data", help="forecast from this data (yahoo:SYMBOL[:START] or a CSV with the study's "
                                       "columns) instead of the study's own")
    parser.add_argument("--refresh", action="store_true", help="download a yahoo: snapshot again")
    parser.add_argument("--fill-gaps", action="store_true", help="forward-fill missing days of --data")
    parser.add_argument("--verbose", action="store_true", help="show TensorFlow's logging")
    args = parser.parse_args(argv)
    cli.quiet_libraries(args.verbose)
    from data import DataSpec
    from search.engine.study import identity, load_existing, new_data_for
    from search.results import read_summary

    storage_url, ws = cli.storage_of(args), cli.workspace(args)
    if args.ensemble:
        ident, summary = _ensemble(args.ensemble, storage_url, ws)
    else:
        study = load_existing(args.study, storage_url)
        ident = identity(study, storage_url)
        summary = read_summary(ws, ident)  # a missing or broken result is one line, before TensorFlow loads
    stored = summary["data"]
    frame = new_data_for(stored, args.data, fill_gaps=args.fill_gaps, refresh=args.refresh) if args.data else \
        DataSpec.from_dict(stored).final_data(summary["horizon"], sha256=summary["sha256"]).frame
    ws.check_writable()
    cli.load_backend(args.verbose)
    from search.reporting.forecast import forecast

    out, chart = forecast(ident, frame, days=args.days, ws=ws)
    print(out.to_string(index=False, float_format=lambda v: f"{v:,.2f}"))
    note = "" if args.days <= summary["horizon"] else (f"; bands past {summary['horizon']} day(s) ahead grow as "
                                                       "√(h/H), a random walk's spread")
    print(f"forecaster: {out.attrs['method']}{note}; written: {ws.find(ident) / 'forecast.csv'}, {chart}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
