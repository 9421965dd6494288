"""Rebuild the seed notebook's models (presets) and score them as the seed did, without its leak.

    python -m search.presets                    # every preset, 1 seed
    python -m search.presets --only seed-dense-w7 seed-lstm --seeds 3

Each preset is trained with the seed's settings (its epochs, batch, learning rate, loss) on
train + validation (the seed's first 80%) and scored on the default test split, beside the seed's
published MAE. The seed picked its best epoch on the test data; here the last epoch counts, so a
faithful rebuild may land a little above the published figure. ``--max-epochs`` caps long presets
(N-BEATS asks for up to 5000 epochs, hours on a CPU).
"""

from __future__ import annotations

import argparse
import json
import sys

from search import cli
from search.storage import RUNS

PUBLISHED_MAE = {"seed-dense-w7": 568.95, "seed-dense-w30": 608.96, "seed-dense-w30-h7": 1237.51,
                 "seed-conv1d": 570.83, "seed-lstm": 596.64, "seed-multivariate": 567.59,
                 "seed-nbeats": 585.50, "seed-ensemble": 567.44}


@cli.main_guard
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m search.presets", description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="+", choices=sorted(PUBLISHED_MAE), help="presets to run (default all)")
    parser.add_argument("--seeds", type=int, default=1, help="seeds per preset (default 1)")
    parser.add_argument("--max-epochs", type=int, help="cap on the preset's epochs (default: none)")
    parser.add_argument("--data", default="btc", help="dataset (default btc, the seed's)")
    args = parser.parse_args(argv)
    cli.quiet_tensorflow()
    import spaces
    from search.retrain import retrain_config
    from search.study import DataSpec

    rows = []
    for name in args.only or list(PUBLISHED_MAE):
        config = spaces.preset(name)
        horizon = config.get("horizon", 1)
        final = DataSpec(data=args.data).final_data(horizon)
        epochs = min(config["epochs"], args.max_epochs or config["epochs"])
        res, _ = retrain_config(config, final, horizon=horizon, epochs=epochs, seeds=list(range(args.seeds)),
                                out=RUNS / "presets", label=name)
        mae = res["mean"]["mae"]
        rows.append({"preset": name, "epochs": epochs, "mae": mae, "mae_std": res["std"]["mae"],
                     "published_mae": PUBLISHED_MAE[name], "diff_pct": 100 * (mae / PUBLISHED_MAE[name] - 1),
                     "mase": res["mean"]["mase"], "rel_mae_vs_naive": res["rel_mae"],
                     "seconds": sum(s["seconds"] for s in res["seeds"])})
        r = rows[-1]
        print(f"{name:20s} epochs {epochs:5d}  test MAE {mae:9.2f} ± {r['mae_std']:6.2f}  seed published "
              f"{r['published_mae']:8.2f}  ({r['diff_pct']:+.1f}%)  MASE {r['mase']:.4f}  {r['seconds']:.0f}s",
              flush=True)
    (RUNS / "presets").mkdir(parents=True, exist_ok=True)
    (RUNS / "presets" / "presets.json").write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
