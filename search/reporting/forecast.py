"""Forecast the days after the data ends with a study's recommended forecaster (the seed's model 9).

The recommendation (``retrain.json``) may be naive, a classical model, a configuration, or a
configuration shrunk toward naive; an ensemble's members are each of these. A configuration is
retrained on every window of the data; with horizon H >= days its forecast is direct, otherwise
each forecast is fed back into the window, as the seed did. Bands are the normalised conformal
ones measured in retraining, ``ŷ·exp(±q·σ̂)`` with σ̂ the volatility after the last day: positive at
every horizon. Up to H days ahead q is calibrated per step; beyond, it grows as √(h/H), a random
walk's spread (stated in the output), so a band that far out says little.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

import spaces
from data import make_windows, with_features
from data.features import block_reward
from search.evaluation.intervals import beyond, next_sigma
from search.files import write_csv, write_json, write_with
from search.results import reading
from search.workspace import Identity, Workspace

MAX_DAYS = 365  # beyond a year, a daily model's band is the random walk's alone


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

    from search.engine.trainer import raise_if_diverged, train

    data = with_features(frame, spaces.features(config))
    window = config["window"]
    result = train(config, make_windows(data, window=window, horizon=horizon), seed=seed, epochs=epochs)
    raise_if_diverged([result])
    history, values = data, []
    while len(values) < days:
        X = history.to_numpy(dtype="float64")[None, -window:]
        step = result.scaler.inverse_y(np.asarray(result.model(result.scaler.x(X), training=False)), X)[0]
        for value in step:
            values.append(float(value))
            history = _extend(history, float(value))
    keras.backend.clear_session()
    return np.array(values[:days])


def path_of(what: dict, frame: pd.DataFrame, *, horizon: int, days: int, summary: dict) -> np.ndarray:
    """``days`` forecasts by one forecaster (a candidate or an ensemble member): naive, a classical
    model or a configuration refitted on ``frame``, or a configuration shrunk toward naive."""
    last = float(frame["target"].iloc[-1])
    if what["kind"] == "naive":
        return np.full(days, last)
    if what["kind"] == "classical":
        from search.evaluation.baselines import fit_classical

        return np.asarray(fit_classical(what["name"], frame["target"].to_numpy(dtype="float64")).predict(h=days)["mean"])
    if "config" in what:
        return config_path(what["config"], frame, horizon=horizon, epochs=what["epochs"], days=days)
    best = next(r for r in summary["retrained"] if r["trial"] == what["trial"])
    path = config_path(best["config"], frame, horizon=horizon, epochs=best["epochs"], days=days)
    return last + what["weight"] * (path - last) if what["kind"] == "shrink" else path


def _method(rec: dict, horizon: int, days: int, summary: dict) -> str:
    if rec["kind"] == "ensemble":
        return f"ensemble of {len(summary['members'])} member(s), each refitted on all days"
    if rec["kind"] == "naive":
        return "naive: the last close"
    if rec["kind"] == "classical":
        return f"{rec['name']} fitted on all days"
    way = "direct" if horizon >= days else f"recursive ({math.ceil(days / horizon)} passes)"
    return way + (f", shrunk toward naive (w = {rec['weight']:.2f})" if rec["kind"] == "shrink" else "")


def future_forecast(summary: dict, frame: pd.DataFrame, days: int) -> pd.DataFrame:
    rec, horizon = summary["recommendation"], summary["horizon"]
    if rec["kind"] == "ensemble":
        values = np.sum([m["weight"] * path_of(m, frame, horizon=horizon, days=days, summary=summary)
                         for m in summary["members"]], axis=0)
    else:
        values = path_of(rec, frame, horizon=horizon, days=days, summary=summary)
    dates = pd.date_range(frame.index[-1] + pd.Timedelta(days=1), periods=days, freq="D")
    out = pd.DataFrame({"date": dates.date, "forecast": values})
    sigma = next_sigma(frame["target"].to_numpy(dtype="float64"))
    for level in summary["intervals"]["levels"]:
        width = beyond(np.asarray(level["q"]), days) * sigma
        pct = int(round(level["nominal"] * 100))
        out[f"lo{pct}"], out[f"hi{pct}"] = out["forecast"] * np.exp(-width), out["forecast"] * np.exp(width)
    out.attrs["method"] = _method(rec, horizon, days, summary)
    return out


def forecast(ident: Identity, frame: pd.DataFrame, *, days: int, ws: Workspace):
    """Forecast past ``frame``'s last day; write forecast.csv/json beside the results and forecast.html
    beside the report."""
    from search.reporting.figures import forecast_figure

    with reading(ws, ident) as (folder, summary):
        out = future_forecast(summary, frame, days)
        meta = {"method": out.attrs["method"], "forecaster": summary["recommendation"]["name"], "days": days,
                "last_day": str(frame.index[-1].date()), "horizon": summary["horizon"],
                "interval_growth": f"calibrated up to {summary['horizon']} day(s) ahead, then as √(h/H)"}
        write_csv(folder / "forecast.csv", out, digits=4)
        write_json(folder / "forecast.json", meta)
    chart = ws.report_dir(ident) / "forecast.html"
    write_with(chart, lambda p: forecast_figure(frame, out, meta).write_html(p, include_plotlyjs=True))
    return out, Path(chart)
