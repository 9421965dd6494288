"""Forecast the days after the data ends with a study's best configuration (the seed's model 9).

    python -m search.forecast --study dense-btc-h1 --days 14

The best configuration (rank 1 of ``runs/<study>/retrain.json``) is retrained on all data. With
horizon H >= days the forecast is direct; otherwise each forecast is fed back into the window, as
the seed did. Bands use the relative conformal half-widths measured in retraining; beyond the
model's horizon they grow with the square root of the number of recursive passes (a random-walk
assumption, stated in the output). Writes ``runs/<study>/forecast.csv`` and
``runs/reports/<study>/forecast.html``.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import keras
import numpy as np
import pandas as pd

import spaces
from data import make_windows, with_features
from data.features import block_reward
from search import cli
from search.storage import RUNS
from search.study import final_data_of, load_existing
from search.trainer import train


def read_retrain(study_name: str, runs_dir: Path = RUNS) -> dict:
    path = runs_dir / study_name / "retrain.json"
    if not path.is_file():
        raise cli.UsageError(f"{path}: no retrained results; run `python -m search.retrain --study {study_name}` first")
    return json.loads(path.read_text())


def _extend(frame: pd.DataFrame, value: float) -> pd.DataFrame:
    """One more day: the forecast as price, known features computed, unknown ones carried forward."""
    day = frame.index[-1] + pd.Timedelta(days=1)
    row = frame.iloc[-1:].copy()
    row.index = pd.DatetimeIndex([day], name=frame.index.name)
    row["target"] = value
    if "block_reward" in row:
        row["block_reward"] = block_reward(row.index).to_numpy()
    return pd.concat([frame, row])


def future_forecast(config: dict, frame: pd.DataFrame, *, horizon: int, epochs: int, days: int,
                    halfwidths: dict[str, list[float]], seed: int = 0) -> pd.DataFrame:
    """Train on every window of ``frame`` and forecast ``days`` days past its end.

    ``halfwidths`` are relative (conformal quantiles of |y/ŷ − 1| per horizon step)."""
    data = with_features(frame, spaces.features(config))
    window = config["window"]
    keras.utils.set_random_seed(seed)
    model = spaces.build(config, data.shape[1], horizon)
    result = train(model, config, make_windows(data, window=window, horizon=horizon), None, epochs=epochs)
    history, values = data, []
    while len(values) < days:
        X = history.to_numpy(dtype="float64")[None, -window:]
        step = result.scaler.inverse_y(np.asarray(model(result.scaler.x(X), training=False)), X)[0]
        for value in step:
            values.append(float(value))
            history = _extend(history, float(value))
    keras.backend.clear_session()
    values = values[:days]
    out = pd.DataFrame({"date": history.index[len(data):len(data) + days].date, "forecast": values})
    for name, q in halfwidths.items():
        rel = np.array([q[min(h, horizon) - 1] * math.sqrt(math.ceil(h / horizon)) for h in range(1, days + 1)])
        out[f"lo{name}"], out[f"hi{name}"] = out["forecast"] * (1 - rel), out["forecast"] * (1 + rel)
    out.attrs["method"] = "direct" if horizon >= days else f"recursive ({math.ceil(days / horizon)} passes)"
    return out


def forecast_study(study, *, days: int = 14, runs_dir: Path = RUNS) -> tuple[pd.DataFrame, Path]:
    summary = read_retrain(study.study_name, runs_dir)
    if not summary["retrained"]:
        raise cli.UsageError(f"study {study.study_name!r} has no retrained configuration to forecast with")
    best = summary["retrained"][0]
    final = final_data_of(study)
    halfwidths = {str(int(round(lv["nominal"] * 100))): lv["relative_halfwidth"]
                  for lv in summary.get("intervals", {}).get("levels", [])}
    out = future_forecast(best["config"], final.frame, horizon=summary["horizon"], epochs=best["epochs"],
                          days=days, halfwidths=halfwidths)
    path = runs_dir / study.study_name / "forecast.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(path, index=False, float_format="%.4f")
    meta = {"method": out.attrs["method"], "trial": best["trial"], "days": days,
            "last_day": str(final.frame.index[-1].date()), "interval_growth": "sqrt(recursive passes)"}
    path.with_suffix(".json").write_text(json.dumps(meta, indent=2))
    from search.report import forecast_figure

    html = runs_dir / "reports" / study.study_name / "forecast.html"
    html.parent.mkdir(parents=True, exist_ok=True)
    forecast_figure(final.frame, out, meta).write_html(html, include_plotlyjs=True)
    return out, html


@cli.main_guard
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m search.forecast", description=__doc__.split("\n")[0])
    parser.add_argument("--study", required=True, help="study whose best retrained configuration forecasts")
    parser.add_argument("--storage", help="storage URL (default: sqlite:///runs/optuna.db)")
    parser.add_argument("--days", type=int, default=14, help="days to forecast past the last date (default 14)")
    parser.add_argument("--verbose", action="store_true", help="show TensorFlow's logging")
    args = parser.parse_args(argv)
    if args.days < 1:
        raise cli.UsageError("--days must be at least 1")
    cli.quiet_tensorflow(args.verbose)
    study = load_existing(args.study, args.storage)
    out, html = forecast_study(study, days=args.days)
    print(out.to_string(index=False, float_format=lambda v: f"{v:,.2f}"))
    print(f"written: {RUNS / args.study / 'forecast.csv'}, {html}")
    return 0


if __name__ == "__main__":
    main()
