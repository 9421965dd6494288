"""Retrain a study's best configurations and score every candidate once on the sealed test split.

Candidates: the top configurations (retrained on every day before test, mean of S seeds), naive,
AutoETS, AutoTheta, AutoARIMA, and the best configuration shrunk toward naive. Each protocol (the
static fit; a rolling origin every D days) gives one table of forecasts of the same days, and
every score, Diebold–Mariano test, Model Confidence Set and chart comes from those tables. The
recommendation is chosen on validation before any of this is looked at.

Writes ``runs/<study>/retrain.json``, ``predictions/*.csv`` and ``models/*.keras`` (atomically).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import optuna
import pandas as pd
from scipy import stats

from search.engine.storage import RUNS
from search.engine.study import final_data_of, require_completed
from search.evaluation import verdict
from search.evaluation.baselines import classical_on_test
from search.evaluation.intervals import LEVELS, conformal_bands, coverage, seed_band
from search.evaluation.metrics import evaluate
from search.evaluation.recommend import choose, shrink
from search.evaluation.refit import ConfigForecast, Protocol, forecast_config
from search.evaluation.scoring import score_protocol
from search.evaluation.seed_figures import published_for, seed_split
from search.evaluation.stress import stress_test
from search.evaluation.validation import validation_candidates
from search.files import write_csv
from search.results import new_work_dir, publish, run_dir

METRICS = ("mae", "mse", "rmse", "mape", "mase", "mase_insample")


def top_trials(study: optuna.Study, k: int) -> list[optuna.trial.FrozenTrial]:
    """The ``k`` best complete trials with distinct configurations."""
    seen, out = set(), []
    for t in require_completed(study):
        key = repr(sorted(t.params.items()))
        if key not in seen:
            seen.add(key)
            out.append(t)
    return out[:k]


def _seed_rows(fc: ConfigForecast, seeds: list[int], fit_series, out: Path) -> list[dict]:
    return [{"seed": s, "model": str(m.relative_to(out)), **evaluate(fc.test.Y, p, fit_series)}
            for s, p, m in zip(seeds, fc.per_seed, fc.models, strict=True)]


def retrain_study(study: optuna.Study, *, top: int = 3, seeds: int = 3, refit_every: int = 0, warm: bool = False,
                  runs_dir: Path = RUNS, store=None) -> dict:
    """Retrain the study's top configurations, score every candidate; write and return ``retrain.json``."""
    trials = top_trials(study, top)
    final, horizon, family = final_data_of(study), study.user_attrs["horizon"], study.user_attrs["family"]
    out, seed_list = run_dir(study.study_name, runs_dir), list(range(seeds))
    # Everything goes to a fresh folder that retrain.json points to once it is complete: an
    # interrupted retrain leaves the earlier results, and the files they name, as they were.
    work = new_work_dir(study.study_name, runs_dir)
    names = {t.number: f"trial {t.number}" for t in trials}
    candidates, val_table = validation_candidates(study, trials, final, store, names=names)
    write_csv(work / "predictions" / "validation.csv", val_table)
    recommended = choose(candidates, val_table, horizon)
    test = final.test(window=7, horizon=horizon)
    fit_series = final.fit_series()
    protocols = [Protocol()] + ([Protocol(refit_every, warm)] if refit_every else [])
    retrained, results, static = [], [], {}
    for protocol in protocols:
        columns = {"naive": test.naive, **classical_on_test(final, protocol.refit_every, horizon)}
        for rank, trial in enumerate(trials, start=1):
            config = trial.user_attrs["config"]
            epochs = max(int(trial.user_attrs.get("best_epoch", config["epochs"])), 1)
            label = f"rank{rank}-trial{trial.number}"
            fc = forecast_config(config, final, protocol, horizon=horizon, epochs=epochs, seeds=seed_list,
                                 models_dir=work / "models" if protocol.refit_every == 0 else None, label=label)
            columns[names[trial.number]] = fc.mean
            if protocol.refit_every == 0:
                static[trial.number] = fc
                rows = _seed_rows(fc, seed_list, fit_series, out)
                retrained.append({"rank": rank, "trial": trial.number, "name": names[trial.number],
                                  "val_rel_mae": trial.value, "preset": trial.user_attrs.get("preset"),
                                  "config": config, "epochs": epochs, "seeds": rows,
                                  "seconds": round(fc.seconds, 3),
                                  "mean": {m: float(np.mean([r[m] for r in rows])) for m in METRICS},
                                  "std": {m: float(np.std([r[m] for r in rows])) for m in METRICS}})
        for c in candidates:
            if c["kind"] == "shrink":
                columns[c["name"]] = shrink(test.naive, columns[c["of"]], c["weight"])
        results.append(score_protocol(protocol, test, columns, out=out, work=work, fit_series=fit_series,
                                      horizon=horizon, about={c["name"]: c for c in candidates}))
    best = static[trials[0].number]
    summary = {
        "study": study.study_name, "family": family, "horizon": horizon, "dataset": study.user_attrs["dataset"],
        "split": final.plan.to_dict(), "n_test": len(test), "test_first_day": str(test.days[0].date()),
        "test_last_day": str(test.days[-1].date()), "folds": final.plan.folds,
        "naive": evaluate(test.Y, test.naive, fit_series),
        "validation": {"csv": f"{work.name}/predictions/validation.csv", "candidates": candidates},
        "recommendation": recommended, "protocols": results, "retrained": retrained,
        "reliability": _reliability(retrained, results[0]),
        "intervals": _intervals(val_table, recommended, results[0], out, work, horizon),
        "stress": stress_test(test.days, test.Y, test.naive, best.mean, fit_series),
        "seed_band": _seed_band(best, test),
    }
    attrs = study.user_attrs
    if seed_split(sha256=attrs["sha256"], test_start=summary["split"]["test_start"], horizon=horizon,
                  until=attrs["data"].get("until")):
        summary["seed_published"] = published_for(family)
    summary["verdict"] = verdict_sentence(summary)
    publish(summary, work, runs_dir)
    return summary


def row_of(protocol: dict, name: str) -> dict:
    return next(r for r in protocol["rows"] if r["name"] == name)


def _reliability(retrained: list[dict], static: dict) -> dict:
    """Does the validation ranking of the retrained configurations survive to the test split?"""
    val = [r["val_rel_mae"] for r in retrained]
    test = [row_of(static, r["name"])["rel_mae"] for r in retrained]
    out = {"configs": len(val), "val_rel_mae": val, "test_rel_mae": test}
    if len(val) >= 3:
        rho, p = stats.spearmanr(val, test)
        out.update(spearman=float(rho), spearman_p=float(p))
    return out


def _intervals(val_table: pd.DataFrame, recommended: dict, static: dict, out: Path, work: Path, horizon: int) -> dict:
    """Conformal bands for the recommended forecaster: its validation errors, its static test forecast."""
    name = recommended["name"]
    table = pd.read_csv(out / static["table"], parse_dates=["date"])
    actual, forecast = (table[c].to_numpy().reshape(-1, horizon) for c in ("actual", name))
    val_actual, val_forecast = (val_table[c].to_numpy().reshape(-1, horizon) for c in ("actual", name))
    bands = conformal_bands(val_actual, val_forecast, forecast)
    columns = {"date": table["date"], "step": table["step"], "actual": table["actual"], "forecast": table[name]}
    levels = []
    for level in LEVELS:
        q, lo, hi = bands[level]
        pct = int(round(level * 100))
        columns[f"lo{pct}"], columns[f"hi{pct}"] = lo.ravel(), hi.ravel()
        levels.append({"nominal": level, "relative_halfwidth": q.tolist(), "coverage": coverage(actual, lo, hi)})
    write_csv(work / "predictions" / "intervals.csv", pd.DataFrame(columns))
    return {"forecaster": name, "method": "split-conformal on the walk-forward validation errors |y/ŷ − 1| "
            "of the recommended forecaster; band ŷ·(1 ± q)", "n_calibration": len(val_actual),
            "levels": levels, "csv": f"{work.name}/predictions/intervals.csv"}


def _seed_band(best: ConfigForecast, test) -> dict:
    lo, hi = seed_band(best.spread)
    return {"method": f"mean ± 1.96 std of {best.spread.shape[1]} forecasts (the seed's band)", "nominal": 0.95,
            "coverage": coverage(test.Y, lo, hi), "mean_halfwidth": float(np.mean(hi - lo) / 2)}


def verdict_sentence(summary: dict) -> str:
    """The recommendation, and what it did on the test days under each protocol, in plain words."""
    rec = summary["recommendation"]
    parts = [f"Recommended on validation: {rec['name']} (validation MAE {rec['val_rel_mae']:.4f} × naive's), "
             f"because {rec['why']}."]
    for protocol in summary["protocols"]:
        row = row_of(protocol, rec["name"])
        mcs = protocol["mcs"]
        parts.append(f"{protocol['label'].capitalize()}: " + verdict.sentence(
            rec["name"], rel_mae=row["rel_mae"], dm_p=row["dm_p"]).rstrip(".") +
            f"; the {mcs['level']:.0%} Model Confidence Set holds {', '.join(mcs['members'])}.")
    return " ".join(parts)
