"""Rebuild the seed notebook's models (presets) and score them as the seed did, without its leak.

    python -m search.presets                    # every preset, 1 seed
    python -m search.presets --only seed-dense-w7 seed-lstm --seeds 3

Each preset is trained with the seed's settings (its epochs, batch, learning rate, loss) on every
day before the test split (the seed's first 80%) and scored on the default test split, beside the
seed's published MAE. The seed picked its best epoch on the test data; here the last epoch counts,
so a faithful rebuild may land a little above the published figure. ``--max-epochs`` caps long
presets (N-BEATS asks for up to 5000 epochs, hours on a CPU).
"""

from __future__ import annotations

import sys

from search import cli
from search.evaluation.seed_figures import PUBLISHED

PRESETS = [name for name in PUBLISHED if name != "naive"]


@cli.main_guard
def main(argv=None) -> int:
    parser = cli.Parser(prog="python -m search.presets", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", choices=PRESETS, help="presets to run (default all)")
    parser.add_argument("--seeds", type=cli.at_least(1), default=1, help="seeds per preset (default 1)")
    parser.add_argument("--max-epochs", type=cli.at_least(1), help="cap on the preset's epochs (default: none)")
    parser.add_argument("--data", default="btc", help="dataset (default btc, the seed's)")
    cli.add_workspace(parser, storage=False)
    args = parser.parse_args(argv)
    import spaces
    from data import DATASETS, DataSpec

    ws = cli.workspace(args)
    finals = {h: DataSpec(data=args.data).final_data(h) for h in {spaces.preset(n).get("horizon", 1)
                                                                  for n in args.only or PRESETS}}
    # The seed's figures were measured on its own file: beside another dataset they compare nothing.
    seed_data = next(iter(finals.values())).frame.attrs["sha256"] == DATASETS["btc"].sha256
    ws.check_writable()
    cli.load_backend()
    import numpy as np

    from search.evaluation.metrics import evaluate, rel_mae
    from search.evaluation.refit import Protocol, forecast_config
    from search.files import write_json

    rows = []
    for name in args.only or PRESETS:
        config = spaces.preset(name)
        horizon = config.get("horizon", 1)
        final = finals[horizon]
        epochs = min(config["epochs"], args.max_epochs or config["epochs"])
        fc = forecast_config(config, final, Protocol(), horizon=horizon, epochs=epochs, seeds=list(range(args.seeds)))
        maes = [evaluate(fc.test.Y, p, final.fit_series())["mae"] for p in fc.per_seed]
        published = PUBLISHED[name]["mae"] if seed_data else None
        mae = float(np.mean(maes))
        rows.append({"preset": name, "epochs": epochs, "mae": mae, "mae_std": float(np.std(maes)),
                     "published_mae": published, "diff_pct": 100 * (mae / published - 1) if published else None,
                     "rel_mae_vs_naive": rel_mae(fc.test.Y, fc.mean, fc.test.naive), "seconds": round(fc.seconds, 1)})
        r = rows[-1]
        beside = f"seed published {published:8.2f}  ({r['diff_pct']:+.1f}%)" if published else "(not the seed's data)"
        print(f"{name:20s} epochs {epochs:5d}  test MAE {r['mae']:9.2f} ± {r['mae_std']:6.2f}  {beside}  "
              f"rel. MAE {r['rel_mae_vs_naive']:.4f}  {r['seconds']:.0f}s", flush=True)
    write_json(ws.root / "presets" / "presets.json", rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
