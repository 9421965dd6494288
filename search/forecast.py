"""Forecast the days after the data ends with a study's recommended forecaster (the seed's model 9).

    python -m search.forecast --study dense-btc-h1 --days 14
    python -m search.forecast --study dense-yahoo-BTC-USD-h1 --data yahoo:BTC-USD   # from today's prices

With ``--data``, the forecaster is refitted on that data up to its last day (it must have the
study's columns, daily). Writes ``runs/<study>/forecast.csv`` and ``runs/reports/<study>/forecast.html``.
"""

from __future__ import annotations

import sys

from search import cli


@cli.main_guard
def main(argv=None) -> int:
    parser = cli.Parser(prog="python -m search.forecast", description=__doc__.split("\n\n")[0])
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--study", help="study whose recommended forecaster forecasts")
    which.add_argument("--ensemble", help="an ensemble made by search.ensemble (its name)")
    parser.add_argument("--storage", help="storage URL (default: sqlite:///runs/optuna.db)")
    parser.add_argument("--days", type=cli.at_least(1), default=14, help="days to forecast past the last date (default 14)")
    parser.add_argument("--data", help="forecast from this data (yahoo:SYMBOL[:START] or a CSV with the study's "
                                           "columns) instead of the study's own")
    parser.add_argument("--refresh", action="store_true", help="download a yahoo: snapshot again")
    parser.add_argument("--fill-gaps", action="store_true", help="forward-fill missing days of --data")
    parser.add_argument("--verbose", action="store_true", help="show TensorFlow's logging")
    args = parser.parse_args(argv)
    cli.quiet_libraries(args.verbose)
    from search.engine.study import load_existing, new_data_for
    from search.results import read_retrain

    if args.ensemble:
        from search.engine.storage import check_study_name

        summary = read_retrain(check_study_name(args.ensemble))
        frame = new_data_for(summary, args.data, fill_gaps=args.fill_gaps, refresh=args.refresh) if args.data else None
        cli.load_tensorflow(args.verbose)
        from search.reporting.forecast import forecast_ensemble

        out, chart = forecast_ensemble(args.ensemble, days=args.days, frame=frame)
    else:
        study = load_existing(args.study, args.storage)
        read_retrain(study.study_name)  # a missing or broken result is one line, before TensorFlow loads
        frame = new_data_for(study.user_attrs, args.data, fill_gaps=args.fill_gaps, refresh=args.refresh) \
            if args.data else None
        cli.load_tensorflow(args.verbose)
        from search.reporting.forecast import forecast_study

        out, chart = forecast_study(study, days=args.days, frame=frame)
    print(out.to_string(index=False, float_format=lambda v: f"{v:,.2f}"))
    print(f"forecaster: {out.attrs['method']}; written: runs/{args.study or args.ensemble}/forecast.csv, {chart}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
