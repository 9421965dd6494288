"""An ensemble across studies: greedy selection over every study's best trials, naive and the
classical baselines, on the validation days they share; then its members are retrained with
seeds, as any configuration is, and the ensemble is scored on test under the same protocols, with
Diebold–Mariano against naive and membership in the Model Confidence Set.

Studies combine only when they forecast the same days: the same data (sha256), horizon and split.
Writes ``runs/<name>/retrain-*/ensemble.json`` (members, weights, saved models: it reloads and
forecasts) and ``runs/<name>/retrain.json`` (scores, in the layout every leaderboard reads, and
the path of ensemble.json).

Usage (``dense`` and ``lstm`` are finished studies on the same data; ``tests/test_ensemble.py`` runs it)::

    summary = build_ensemble([dense, lstm], name="ensemble-btc-h1")
    summary["recommendation"]["weights"]  # e.g. {'naive': 0.45, 'dense-btc-h1 trial 12': 0.35, 'AutoETS': 0.2}
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

from search.engine.storage import RUNS
from search.engine.study import compatible, final_data_of
from search.evaluation import verdict
from search.evaluation.baselines import classical_on_test
from search.evaluation.ensemble import SIZE, combine, cross_fitted, greedy_weights
from search.evaluation.intervals import conformal_bands, coverage
from search.evaluation.metrics import evaluate, pooled_rel_mae
from search.evaluation.refit import Protocol, forecast_config
from search.evaluation.scoring import score_protocol
from search.evaluation.validation import (
    baselines_of,
    columns_of,
    folds_of,
    trial_forecasts,
    wide_table,
)
from search.files import write_csv, write_json
from search.results import new_work_dir, publish, run_dir


def pool(studies, final, store, top: int) -> tuple[dict, dict, list]:
    """Every candidate's per-fold validation forecasts, and where each configuration comes from."""
    from search.evaluation.retrain import top_trials

    horizon = studies[0].user_attrs["horizon"]
    baselines = baselines_of(studies[0], final, store)
    forecasts = columns_of(baselines, horizon, [c for c in baselines.columns if c not in ("fold", "date", "step",
                                                                                           "actual")])
    origin = {name: {"name": name, "kind": "naive" if name == "naive" else "classical"} for name in forecasts}
    for study in studies:
        for trial in top_trials(study, top):
            name = f"{study.study_name} trial {trial.number}"
            forecasts[name] = trial_forecasts(study, trial, final, store)
            origin[name] = {"name": name, "kind": "config", "study": study.study_name, "trial": trial.number,
                            "config": trial.user_attrs["config"],
                            "epochs": max(int(trial.user_attrs.get("best_epoch", 1)), 1)}
    return forecasts, origin, folds_of(final, horizon)


def select(forecasts: dict, folds, *, size: int = SIZE) -> tuple[dict[str, float], dict[str, float], list]:
    """Weights on all folds, every candidate's validation score, and the ensemble's cross-fitted forecasts."""
    actual, naive = [f.val.Y for f in folds], forecasts["naive"]
    weights = greedy_weights(np.concatenate(actual), {n: np.concatenate(v) for n, v in forecasts.items()},
                             naive=np.concatenate(naive), size=size)
    scores = {n: pooled_rel_mae(actual, naive, v) for n, v in forecasts.items()}
    honest = cross_fitted([{"actual": actual[k], "naive": naive[k], "forecasts": {n: v[k] for n, v in forecasts.items()}}
                           for k in range(len(folds))], size=size)
    return weights, scores, honest


def build_ensemble(studies, *, name: str, top: int = 5, size: int = SIZE, seeds: int = 3, refit_every: int = 30,
                   warm: bool = False, runs_dir: Path = RUNS, store=None) -> dict:
    compatible(studies)
    final, horizon = final_data_of(studies[0]), studies[0].user_attrs["horizon"]
    started = time.perf_counter()
    forecasts, origin, folds = pool(studies, final, store, top)
    weights, scores, honest = select(forecasts, folds, size=size)
    selection_s = time.perf_counter() - started
    actual = [f.val.Y for f in folds]
    selected_on = [combine(weights, {n: v[k] for n, v in forecasts.items()}) for k in range(len(folds))]
    # The honest score is the cross-fitted one; with one fold there is only the flattering one.
    ensemble_val = pooled_rel_mae(actual, forecasts["naive"], honest or selected_on)
    out = run_dir(name, runs_dir)
    work = new_work_dir(name, runs_dir)
    val_table = wide_table(folds, {**forecasts, name: honest or selected_on})
    write_csv(work / "predictions" / "validation.csv", val_table)
    members = [dict(origin[n], weight=w) for n, w in weights.items()]
    test = final.test(window=7, horizon=horizon)
    results = []
    for protocol in [Protocol()] + ([Protocol(refit_every, warm)] if refit_every else []):
        columns = {"naive": test.naive, **classical_on_test(final, protocol.refit_every, horizon)}
        for member in (m for m in members if m["kind"] == "config"):
            label = member["name"].replace(" ", "-")
            fc = forecast_config(member["config"], final, protocol, horizon=horizon, epochs=member["epochs"],
                                 seeds=list(range(seeds)), label=label,
                                 models_dir=work / "models" if protocol.refit_every == 0 else None)
            columns[member["name"]] = fc.mean
            if protocol.refit_every == 0:
                member["models"] = [str(m.relative_to(out)) for m in fc.models]
        columns[name] = combine(weights, columns)
        about = {n: {"kind": origin[n]["kind"], "val_rel_mae": scores[n]} for n in columns if n in origin}
        about[name] = {"kind": "ensemble", "val_rel_mae": ensemble_val}
        results.append(score_protocol(protocol, test, columns, out=out, work=work, fit_series=final.fit_series(),
                                      horizon=horizon, about=about))
    recommendation = {"name": name, "kind": "ensemble", "val_rel_mae": ensemble_val, "weights": weights,
                      "cross_fitted": honest is not None,
                      "val_rel_mae_selected_on": pooled_rel_mae(actual, forecasts["naive"], selected_on)}
    summary = {
        "study": name, "family": "ensemble", "horizon": horizon, "studies": [s.study_name for s in studies],
        "dataset": studies[0].user_attrs["dataset"], "data": studies[0].user_attrs["data"],
        "sha256": studies[0].user_attrs["sha256"], "split": final.plan.to_dict(), "n_test": len(test),
        "test_first_day": str(test.days[0].date()), "test_last_day": str(test.days[-1].date()),
        "folds": final.plan.folds, "naive": evaluate(test.Y, test.naive, final.fit_series()),
        "validation": {"csv": f"{work.name}/predictions/validation.csv", "candidates": [
            {"name": n, "kind": origin[n]["kind"], "val_rel_mae": s} for n, s in scores.items()]},
        "recommendation": recommendation, "members": members, "protocols": results, "top": top, "size": size,
        "seeds": seeds, "selection_seconds": round(selection_s, 3),
    }
    static = pd.read_csv(out / results[0]["table"])
    summary["intervals"] = _intervals(val_table[name].to_numpy(), val_table["actual"].to_numpy(), static, name, horizon)
    summary["verdict"] = _verdict(summary)
    # The weights and members (with their saved models) beside them; retrain.json, renamed last, names it.
    write_json(work / "ensemble.json", {k: summary[k] for k in ("study", "horizon", "data", "sha256", "split",
                                                                "members", "recommendation")})
    summary["ensemble"] = f"{work.name}/ensemble.json"
    publish(summary, work, runs_dir)
    return summary


def _intervals(val_forecast, val_actual, static: pd.DataFrame, name: str, horizon: int) -> dict:
    """Conformal bands from the ensemble's (cross-fitted) validation errors, measured on test."""
    actual, forecast = (static[c].to_numpy().reshape(-1, horizon) for c in ("actual", name))
    bands = conformal_bands(val_actual.reshape(-1, horizon), val_forecast.reshape(-1, horizon), forecast)
    return {"forecaster": name, "levels": [{"nominal": level, "relative_halfwidth": q.tolist(),
                                            "coverage": coverage(actual, lo, hi)} for level, (q, lo, hi) in bands.items()]}


def _verdict(summary: dict) -> str:
    rec = summary["recommendation"]
    parts = [f"Ensemble of {len(summary['members'])} member(s) selected on validation: " + ", ".join(
        f"{w:.0%} {n}" for n, w in rec["weights"].items()) + f" (cross-fitted validation MAE "
        f"{rec['val_rel_mae']:.4f} × naive's)."]
    for protocol in summary["protocols"]:
        row = next(r for r in protocol["rows"] if r["name"] == rec["name"])
        parts.append(f"{protocol['label'].capitalize()}: " + verdict.sentence(
            "the ensemble", rel_mae=row["rel_mae"], dm_p=row["dm_p"]).rstrip(".") +
            f"; {'inside' if row['in_mcs'] else 'outside'} the {protocol['mcs']['level']:.0%} Model Confidence Set.")
    return " ".join(parts)
