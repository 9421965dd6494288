"""Forecast the days after the data ends with a study's recommended forecaster (the seed's model 9).

The recommendation (``retrain.json``) may be naive, a classical model, a configuration, or a
configuration shrunk toward naive. A configuration is retrained on every window of the data;
with horizon H >= days its forecast is direct, otherwise each forecast is fed back into the
window, as the seed did. Bands use the relative conformal half-widths measured in retraining;
beyond the model's horizon they grow with the square root of the number of passes (a random-walk
assumption, stated in the output).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

import spaces
from data import make_windows, with_features
from data.features import block_reward
from search.engine.storage import RUNS
from search.files import write_csv, write_json, write_with
from search.results import read_retrain, run_dir


def _extend(frame: pd.DataFrame, value: float) -> pd.DataFrame:
    """One more day: the forecast as price, known features computed, unknown ones carried forward."""
    day = frame.index[-1] + pd.Timedelta(days=1)
    row = frame.iloc[-1:].copy()
    row.index = pd.DatetimeIndex([day], name=frame.index.name)
    row["target"] = value
    if "block_reward" in row:
        row["block_reward"] = block_reward(row.index).to_numpy()
    return pd.concat([frame, row])


def config_path(config: dict, frame: pd.DataFrame, *, horizon: int, epochs: int, days: int, seed: int = 0) -> np.ndarray:
    """Train on every window of ``frame`` and forecast ``days`` days past its end."""
    import keras

    from search.engine.trainer import train

    data = with_features(frame, spaces.features(config))
    window = config["window"]
    result = train(config, make_windows(data, window=window, horizon=horizon), seed=seed, epochs=epochs)
    history, values = data, []
    while len(values) < days:
        X = history.to_numpy(dtype="float64")[None, -window:]
        step = result.scaler.inverse_y(np.asarray(result.model(result.scaler.x(X), training=False)), X)[0]
        for value in step:
            values.append(float(value))
            history = _extend(history, float(value))
    keras.backend.clear_session()
    return np.array(values[:days])


def recommended_path(summary: dict, frame: pd.DataFrame, days: int) -> tuple[np.ndarray, str]:
    """The recommended forecaster's path of ``days`` forecasts, and how it was made."""
    rec, horizon = summary["recommendation"], summary["horizon"]
    last = float(frame["target"].iloc[-1])
    if rec["kind"] == "naive":
        return np.full(days, last), "naive: the last close"
    if rec["kind"] == "classical":
        from search.evaluation.baselines import fit_classical

        return fit_classical(rec["name"], frame["target"].to_numpy(dtype="float64")).predict(h=days)["mean"], \
            f"{rec['name']} fitted on all days"
    trial = rec["trial"]
    best = next(r for r in summary["retrained"] if r["trial"] == trial)
    path = config_path(best["config"], frame, horizon=horizon, epochs=best["epochs"], days=days)
    method = "direct" if horizon >= days else f"recursive ({math.ceil(days / horizon)} passes)"
    if rec["kind"] == "shrink":
        return last + rec["weight"] * (path - last), f"{method}, shrunk toward naive (w = {rec['weight']:.2f})"
    return path, method


def member_path(member: dict, frame: pd.DataFrame, *, horizon: int, days: int) -> np.ndarray:
    """One ensemble member's path: naive, a classical model, or a configuration refitted on ``frame``."""
    if member["kind"] == "naive":
        return np.full(days, float(frame["target"].iloc[-1]))
    if member["kind"] == "classical":
        from search.evaluation.baselines import fit_classical

        return np.asarray(fit_classical(member["name"], frame["target"].to_numpy(dtype="float64")).predict(h=days)["mean"])
    return config_path(member["config"], frame, horizon=horizon, epochs=member["epochs"], days=days)


def ensemble_path(summary: dict, frame: pd.DataFrame, days: int) -> tuple[np.ndarray, str]:
    paths = [m["weight"] * member_path(m, frame, horizon=summary["horizon"], days=days) for m in summary["members"]]
    return np.sum(paths, axis=0), f"ensemble of {len(paths)} member(s), each refitted on all days"


def future_forecast(summary: dict, frame: pd.DataFrame, days: int) -> pd.DataFrame:
    horizon = summary["horizon"]
    make = ensemble_path if summary["recommendation"]["kind"] == "ensemble" else recommended_path
    values, method = make(summary, frame, days)
    dates = pd.date_range(frame.index[-1] + pd.Timedelta(days=1), periods=days, freq="D")
    out = pd.DataFrame({"date": dates.date, "forecast": values})
    for level in summary["intervals"]["levels"]:
        q = level["relative_halfwidth"]
        rel = np.array([q[min(h, horizon) - 1] * math.sqrt(math.ceil(h / horizon)) for h in range(1, days + 1)])
        pct = int(round(level["nominal"] * 100))
        out[f"lo{pct}"], out[f"hi{pct}"] = out["forecast"] * (1 - rel), out["forecast"] * (1 + rel)
    out.attrs["method"] = method
    return out


def forecast_study(study, *, days: int = 14, runs_dir: Path = RUNS, frame: pd.DataFrame | None = None):
    """Forecast past the study's data (or ``frame``); write forecast.csv/json and forecast.html."""
    from search.engine.study import final_data_of

    return forecast_summary(read_retrain(study.study_name, runs_dir), frame if frame is not None else
                            final_data_of(study).frame, days=days, runs_dir=runs_dir)


def forecast_ensemble(name: str, *, days: int = 14, runs_dir: Path = RUNS, frame: pd.DataFrame | None = None):
    """Forecast past the ensemble's data (or ``frame``) with its members and weights."""
    from search.engine.study import DataSpec

    summary = read_retrain(name, runs_dir)
    if frame is None:
        frame = DataSpec.from_dict(summary["data"]).final_data(summary["horizon"], sha256=summary["sha256"]).frame
    return forecast_summary(summary, frame, days=days, runs_dir=runs_dir)


def forecast_summary(summary: dict, frame: pd.DataFrame, *, days: int, runs_dir: Path):
    from search.reporting.figures import forecast_figure

    out = future_forecast(summary, frame, days)
    name = summary["study"]
    where = run_dir(name, runs_dir)
    write_csv(where / "forecast.csv", out, digits=4)
    meta = {"method": out.attrs["method"], "forecaster": summary["recommendation"]["name"], "days": days,
            "last_day": str(frame.index[-1].date()), "interval_growth": "sqrt(recursive passes)"}
    write_json(where / "forecast.json", meta)
    chart = Path(runs_dir) / "reports" / name / "forecast.html"
    write_with(chart, lambda p: forecast_figure(frame, out, meta).write_html(p, include_plotlyjs=True))
    return out, chart
