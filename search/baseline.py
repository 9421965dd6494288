"""The naive forecast on the split every model is scored on.

    python -m search.baseline --data btc --window 7 --horizon 1 --json
"""

from __future__ import annotations

import argparse
import json

from data import FinalData, make_plan
from data.validate import check_length
from search import cli
from search.metrics import evaluate


def naive_report(frame, *, window: int, horizon: int, test_size: float, val_size: float) -> dict:
    check_length(frame, needed=window + horizon, why=f"window {window} + horizon {horizon}")
    plan = make_plan(frame, window=window, horizon=horizon, test_size=test_size, val_size=val_size)
    final = FinalData(frame, plan)
    test = final.test(window=window, horizon=horizon)
    scores = evaluate(test.Y, test.naive, final.fit_series())
    sizes = plan.sizes(frame, window=window, horizon=horizon)
    return {
        **scores,
        "n_test": len(test),
        "rows": len(frame),
        "first_day": str(frame.index[0].date()),
        "last_day": str(frame.index[-1].date()),
        "filled_days": frame.attrs.get("filled_days", 0),
        "sizes": sizes,
        "split": plan.to_dict(),
        "window": window,
        "horizon": horizon,
        "source": frame.attrs.get("source"),
    }


@cli.main_guard
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m search.baseline", description=__doc__.split("\n")[0])
    cli.add_data_args(parser)
    parser.add_argument("--window", type=int, default=7, help="days of history per window (default 7)")
    parser.add_argument("--horizon", type=int, default=1, help="days ahead to forecast (default 1)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.window < 1 or args.horizon < 1:
        parser.error("--window and --horizon must be at least 1")
    frame = cli.load_frame(args)
    r = naive_report(frame, window=args.window, horizon=args.horizon,
                     test_size=args.test_size, val_size=args.val_size)
    if args.json:
        print(json.dumps(r))
        return 0
    s = r["sizes"]
    print(f"data      {r['source']}: {r['rows']} days, {r['first_day']} .. {r['last_day']}"
          + (f" ({r['filled_days']} filled)" if r["filled_days"] else ""))
    print(f"windows   W={args.window} H={args.horizon}: train {s['train']}, validation {s['val']} "
          f"(from {r['split']['val_start']}), test {s['test']} (from {r['split']['test_start']})")
    print(f"naive     MAE {r['mae']:.4f}  MSE {r['mse']:.1f}  RMSE {r['rmse']:.4f}  MAPE {r['mape']:.4f}%  "
          f"MASE {r['mase']:.5f}  MASE(in-sample) {r['mase_insample']:.5f}")
    return 0


if __name__ == "__main__":
    main()
