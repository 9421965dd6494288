"""The naive forecast on the split every model is scored on.

    python -m search.baseline --data btc --window 7 --horizon 1 --json
"""

from __future__ import annotations

import json
import sys

from search import cli


@cli.main_guard
def main(argv=None) -> int:
    parser = cli.Parser(prog="python -m search.baseline", description=__doc__.split("\n")[0])
    cli.add_data_args(parser)
    parser.add_argument("--window", type=cli.at_least(1), default=7, help="days of history per window (default 7)")
    parser.add_argument("--horizon", type=cli.at_least(1), default=1, help="days ahead to forecast (default 1)")
    parser.add_argument("--folds", type=cli.at_least(1), default=1, help="walk-forward validation folds (default 1)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    from search.evaluation.baselines import naive_report

    frame = cli.data_spec(args).frame(refresh=args.refresh)
    r = naive_report(frame, window=args.window, horizon=args.horizon, test_size=args.test_size,
                     val_size=args.val_size, folds=args.folds)
    if args.json:
        print(json.dumps(r))
        return 0
    s = r["sizes"]
    print(f"data      {r['source']}: {r['rows']} days, {r['first_day']} .. {r['last_day']}"
          + (f" ({r['filled_days']} filled)" if r["filled_days"] else ""))
    print(f"windows   W={args.window} H={args.horizon}: train {s['train']}, validation {s['val']} x {args.folds} "
          f"(from {r['split']['val_start']}), test {s['test']} (from {r['split']['test_start']})")
    print(f"naive     MAE {r['mae']:.4f}  MSE {r['mse']:.1f}  RMSE {r['rmse']:.4f}  MAPE {r['mape']:.4f}%  "
          f"MASE {r['mase']:.5f}  MASE(in-sample) {r['mase_insample']:.5f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
