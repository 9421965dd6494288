"""Retrain a study's best configurations and score every candidate once on the sealed test split.

Candidates: the top configurations (retrained on every day before test, mean of S seeds), naive,
AutoETS, AutoTheta, AutoARIMA, and the best configuration shrunk toward naive. Each protocol (the
static fit; a rolling origin every D days) gives one table of forecasts of the same days, and
every score, Diebold–Mariano test, Model Confidence Set and chart comes from those tables. The
recommendation is chosen on validation, guarded against the search's many draws, before any of
this is looked at.

Writes ``retrain.json``, ``predictions/*.csv`` and ``models/*.keras`` in the study's results
folder (atomically, one retrain of a study at a time).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import optuna
from scipy import stats

from data.split import REFERENCE_WINDOW
from search.engine.artifacts import validation_table
from search.engine.study import SKIPPED, final_data_of, require_completed
from search.evaluation import budget, verdict
from search.evaluation.intervals import seed_band, write_intervals
from search.evaluation.metrics import evaluate
from search.evaluation.options import RetrainOptions
from search.evaluation.recommend import Evidence, choose, shrink
from search.evaluation.refit import ConfigForecast, retrain_epochs
from search.evaluation.scoring import Trained, forecast_protocols, score_protocol, test_period
from search.evaluation.seed_figures import published_for, seed_split
from search.evaluation.stress import stress_test
from search.evaluation.validation import validation_candidates
from search.files import write_csv
from search.results import publish, retraining, row_of
from search.workspace import Identity, Workspace

METRICS = ("mae", "mse", "rmse", "mape", "mase", "mase_insample")
SPEARMAN_FROM = 5  # fewer ranked configurations say nothing (the exact p for n = 3 is never below 0.33)


def top_trials(study: optuna.Study, k: int) -> list[optuna.trial.FrozenTrial]:
    """The ``k`` best complete trials with distinct configurations."""
    seen, out = set(), []
    for t in require_completed(study):
        key = repr(sorted(t.params.items()))
        if key not in seen:
            seen.add(key)
            out.append(t)
    return out[:k]


def evidence_of(study: optuna.Study, table, horizon: int, store) -> Evidence:
    """The guard's evidence: the candidates' validation table, and every complete trial's forecasts
    that the artifact store holds (the others' draws still count in ``n_drawn``; a trial skipped
    before it trained is no draw)."""
    states = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    finished = [t for t in study.get_trials(deepcopy=False, states=states) if SKIPPED not in t.user_attrs]
    draws = {}
    for t in finished:
        stored = validation_table(t, store) if t.state == optuna.trial.TrialState.COMPLETE else None
        if stored is not None and len(stored) == len(table):
            draws[f"trial {t.number}"] = stored["forecast"].to_numpy(dtype="float64").reshape(-1, horizon)
    return Evidence(table, horizon, draws=draws, n_drawn=len(finished))


def _retrained(rank: int, trial, c: Trained, fc: ConfigForecast, fit_series, folder: Path, val: float) -> dict:
    """A retrained configuration: its seeds' static test scores and saved models."""
    rows = [{"seed": s, "model": str(m.relative_to(folder)), **evaluate(fc.test.Y, p, fit_series)}
            for s, p, m in zip(fc.seeds, fc.per_seed, fc.models, strict=True)]
    return {"rank": rank, "trial": trial.number, "name": c.name, "val_rel_mae": val,
            "preset": trial.user_attrs.get("preset"), "config": c.config, "epochs": c.epochs, "seeds": rows,
            "seconds": round(fc.seconds, 3), "mean": {m: float(np.mean([r[m] for r in rows])) for m in METRICS},
            "std": {m: float(np.std([r[m] for r in rows])) for m in METRICS}}


def retrain_study(study: optuna.Study, ident: Identity, *, options: RetrainOptions | None = None,
                  ws: Workspace, store=None) -> dict:
    """Retrain the study's top configurations, score every candidate; write and return ``retrain.json``."""
    options = options or RetrainOptions()
    final, horizon, family = final_data_of(study), study.user_attrs["horizon"], study.user_attrs["family"]
    trials, budgeted = _budgeted(study, top_trials(study, options.top), final, options, horizon)
    seeds = list(range(options.seeds))
    with retraining(ws, ident) as (folder, work):
        names = {t.number: f"trial {t.number}" for t in trials}
        configs = [Trained(names[t.number], t.user_attrs["config"], retrain_epochs(t), f"rank{rank}-trial{t.number}")
                   for rank, t in enumerate(trials, start=1)]
        started = time.perf_counter()
        tables, timing = forecast_protocols(final, options.protocols.protocols(), configs, seeds=seeds,
                                            horizon=horizon, ws=ws, models_dir=work / "models")
        # Chosen on validation alone; the test forecasts above are not looked at until it is made.
        candidates, val_table = validation_candidates(study, trials, final, store, names=names, ws=ws)
        write_csv(work / "predictions" / "validation.csv", val_table)
        recommended = choose(candidates, evidence_of(study, val_table, horizon, store), rule=options.rule)
        test, fit_series = final.test(window=REFERENCE_WINDOW, horizon=horizon), final.fit_series()
        about = {c["name"]: c for c in candidates}
        results, static = [], tables[0][2]
        for protocol, columns, _ in tables:
            for c in candidates:
                if c["kind"] == "shrink" and c["of"] in columns:
                    columns[c["name"]] = shrink(columns["naive"], columns[c["of"]], c["weight"])
            results.append(score_protocol(protocol, test, columns, folder=folder, work=work, fit_series=fit_series,
                                          horizon=horizon, about=about))
        retrained = [_retrained(rank, t, c, static[c.name], fit_series, folder, about[c.name]["val_rel_mae"])
                     for rank, (t, c) in enumerate(zip(trials, configs, strict=True), start=1) if c.name in static]
        summary = {
            "study": study.study_name, "identity": ident.to_dict(), "kind": "study", "family": family,
            "horizon": horizon, "dataset": study.user_attrs["dataset"], "data": study.user_attrs["data"],
            "sha256": study.user_attrs["sha256"], **test_period(final, test, horizon),
            "naive": evaluate(test.Y, test.naive, fit_series),
            "validation": {"csv": f"{work.name}/predictions/validation.csv", "candidates": candidates},
            "recommendation": recommended, "protocols": results, "retrained": retrained,
            "reliability": _reliability(retrained, results[0]), "budget": budgeted,
        }
        summary["intervals"] = write_intervals(final, val_table, folder / results[0]["table"], recommended["name"],
                                               horizon, work)
        if retrained:
            best = static[retrained[0]["name"]]
            summary["stress"] = stress_test(test.days, test.Y, test.naive, best.mean, fit_series, horizon=horizon)
            summary["seed_band"] = _seed_band(best, test)
        attrs = study.user_attrs
        published = published_for(family)
        if published and seed_split(sha256=attrs["sha256"], test_start=summary["split"]["test_start"], horizon=horizon,
                                    until=attrs["data"].get("until")):
            summary["seed_published"] = published
        summary["timing"] = {**{k: round(v, 2) for k, v in timing.items()},
                             "total": round(time.perf_counter() - started, 2)}
        summary["verdict"] = verdict.summary_sentence(summary, recommended["name"], lead=(
            f"Recommended on validation: {recommended['name']} (validation MAE {recommended['val_rel_mae']:.4f} × "
            f"naive's), because {recommended['why']}."))
        publish(folder, summary, work)
    return summary


def _budgeted(study, trials, final, options: RetrainOptions, horizon: int):
    """The top trials the retrain budget allows, and what it counted (README: the retrain's budget)."""
    protocols = options.protocols.protocols()
    costs = [budget.retrain_cost(t, retrain_epochs(t), final, protocols, options.seeds, horizon) for t in trials]
    spent = budget.search_cost(study, final)
    # A study whose trials did not record their cost (keras-tuner's) has nothing to count against.
    kept = budget.within_budget(costs, search=spent, budget=options.budget if spent > 0 else None)
    return [trials[k] for k in kept], {
        "unit": "seed-preset epochs x training days", "budget": options.budget, "search_cost": spent,
        "retrain_cost": sum(costs[k] for k in kept),
        "left_out": [{"trial": t.number, "cost": c} for k, (t, c) in enumerate(zip(trials, costs, strict=True))
                     if k not in kept]}


def _reliability(retrained: list[dict], static: dict) -> dict:
    """Does the validation ranking of the retrained configurations survive to the test split?"""
    val = [r["val_rel_mae"] for r in retrained]
    test = [row_of(static, r["name"])["rel_mae"] for r in retrained]
    out = {"configs": len(val), "val_rel_mae": val, "test_rel_mae": test}
    if len(val) >= SPEARMAN_FROM:
        rho, p = stats.spearmanr(val, test)
        out.update(spearman=float(rho), spearman_p=float(p))
    return out


def _seed_band(best: ConfigForecast, test) -> dict:
    lo, hi = seed_band(best.spread)
    return {"method": f"mean ± 1.96 std of {best.spread.shape[1]} forecasts (the seed's band)", "nominal": 0.95,
            "coverage": float(np.mean((lo <= test.Y) & (hi >= test.Y))), "mean_halfwidth": float(np.mean(hi - lo) / 2)}
