"""An ensemble across studies: greedy selection over every study's best trials, naive and the
classical baselines, on the validation days they share; then its members are retrained with
seeds, as any configuration is, and the ensemble is scored on test under the same protocols, with
Diebold–Mariano against naive and membership in the Model Confidence Set.

Studies combine only when they forecast the same days: the same data (sha256), horizon and split.
An ensemble is a kind of its own: its identity is its name and the studies it combines, its
results live in ``runs/ensembles/<name>/`` (``retrain-*/ensemble.json``: members, weights, saved
models; ``retrain.json``: scores in the layout every leaderboard reads).

Usage (``dense`` and ``lstm`` are finished studies on the same data; ``tests/test_ensemble.py`` runs it)::

    summary = build_ensemble([dense, lstm], ensemble_identity("combined", [dense, lstm], url), ws=Workspace())
    summary["recommendation"]["weights"]  # e.g. {'naive': 0.45, 'dense-btc-h1 trial 12': 0.35, 'AutoETS': 0.2}
"""

from __future__ import annotations

import time

import numpy as np

from data.split import REFERENCE_WINDOW
from search.engine.study import compatible, final_data_of, identity
from search.evaluation import verdict
from search.evaluation.baselines import validation_baselines
from search.evaluation.ensemble import combine, cross_fitted, greedy_weights
from search.evaluation.intervals import write_intervals
from search.evaluation.metrics import evaluate, pooled_rel_mae
from search.evaluation.options import ENSEMBLE_SIZE, EnsembleOptions
from search.evaluation.refit import retrain_epochs
from search.evaluation.scoring import Trained, forecast_protocols, score_protocol, test_period
from search.evaluation.validation import columns_of, folds_of, trial_forecasts, wide_table
from search.files import write_csv, write_json
from search.results import publish, retraining
from search.workspace import Identity, Workspace


def pool(studies, final, store, top: int, ws) -> tuple[dict, dict, list]:
    """Every candidate's per-fold validation forecasts, and where each configuration comes from."""
    from search.evaluation.retrain import top_trials

    horizon = studies[0].user_attrs["horizon"]
    forecasts = columns_of(validation_baselines(final, horizon, ws), horizon)
    origin = {name: {"name": name, "kind": "naive" if name == "naive" else "classical"} for name in forecasts}
    for study in studies:
        for trial in top_trials(study, top):
            name = f"{study.study_name} trial {trial.number}"
            forecasts[name], _ = trial_forecasts(study, trial, final, store)
            origin[name] = {"name": name, "kind": "config", "study": study.study_name, "trial": trial.number,
                            "config": trial.user_attrs["config"], "epochs": retrain_epochs(trial)}
    return forecasts, origin, folds_of(final, horizon)


def select(forecasts: dict, folds, *, size: int = ENSEMBLE_SIZE) -> tuple[dict[str, float], dict[str, float], list]:
    """Weights on all folds, every candidate's validation score, and the ensemble's cross-fitted forecasts."""
    actual, naive = [f.val.Y for f in folds], forecasts["naive"]
    weights = greedy_weights(np.concatenate(actual), {n: np.concatenate(v) for n, v in forecasts.items()},
                             naive=np.concatenate(naive), size=size)
    scores = {n: pooled_rel_mae(actual, naive, v) for n, v in forecasts.items()}
    honest = cross_fitted([{"actual": actual[k], "naive": naive[k], "forecasts": {n: v[k] for n, v in forecasts.items()}}
                           for k in range(len(folds))], size=size)
    return weights, scores, honest


def _against_plain(ensemble_val: float, origin: dict, scores: dict) -> dict:
    """The ensemble is this command's product, but it must say when a plain forecaster beat it."""
    plain = min((n for n in origin if origin[n]["kind"] != "config"), key=scores.get)
    return {"best_plain": plain, "beats_best_plain": bool(ensemble_val < scores[plain])}


def _lead(members: list, rec: dict, scores: dict) -> str:
    """The verdict's opening: the members, and whether the best plain forecaster beat the ensemble."""
    lead = (f"Ensemble of {len(members)} member(s) selected on validation: " + ", ".join(
        f"{w:.0%} {n}" for n, w in rec["weights"].items()) + f" (cross-fitted validation MAE {rec['val_rel_mae']:.4f} "
        "× naive's).")
    if not rec["beats_best_plain"]:
        plain = rec["best_plain"]
        lead += (f" It does not beat {plain} on the validation days ({scores[plain]:.4f}), so {plain} remains the "
                 "better choice; the ensemble is scored below as built.")
    return lead


def build_ensemble(studies, ident: Identity, *, options: EnsembleOptions | None = None,
                   ws: Workspace, store=None) -> dict:
    options = options or EnsembleOptions()
    compatible(studies)
    final, horizon, name = final_data_of(studies[0]), studies[0].user_attrs["horizon"], ident.name
    started = time.perf_counter()
    forecasts, origin, folds = pool(studies, final, store, options.top, ws)
    weights, scores, honest = select(forecasts, folds, size=options.size)
    selection_s = time.perf_counter() - started
    actual = [f.val.Y for f in folds]
    selected_on = [combine(weights, {n: v[k] for n, v in forecasts.items()}) for k in range(len(folds))]
    # The honest score is the cross-fitted one; with one fold there is only the flattering one.
    ensemble_val = pooled_rel_mae(actual, forecasts["naive"], honest or selected_on)
    members = [dict(origin[n], weight=w) for n, w in weights.items()]
    test = final.test(window=REFERENCE_WINDOW, horizon=horizon)
    about = {n: {"kind": origin[n]["kind"], "val_rel_mae": scores[n]} for n in origin}
    about[name] = {"kind": "ensemble", "val_rel_mae": ensemble_val}
    configs = [Trained(m["name"], m["config"], m["epochs"], m["name"].replace(" ", "-"))
               for m in members if m["kind"] == "config"]
    with retraining(ws, ident) as (folder, work):
        val_table = wide_table(folds, {**forecasts, name: honest or selected_on})
        write_csv(work / "predictions" / "validation.csv", val_table)
        results = []
        tables, _ = forecast_protocols(final, options.protocols.protocols(), configs, seeds=list(range(options.seeds)),
                                       horizon=horizon, ws=ws, models_dir=work / "models")
        for protocol, columns, fits in tables:
            if protocol.refit_every == 0:
                for m in members:
                    if m["name"] in fits:
                        m["models"] = [str(p.relative_to(folder)) for p in fits[m["name"]].models]
            # a member left out of a protocol's table weighs nothing there; the rest are renormalised
            kept = {n: w for n, w in weights.items() if n in columns}
            columns[name] = combine({n: w / sum(kept.values()) for n, w in kept.items()}, columns)
            results.append(score_protocol(protocol, test, columns, folder=folder, work=work,
                                          fit_series=final.fit_series(), horizon=horizon, about=about))
        recommendation = {"name": name, "kind": "ensemble", "val_rel_mae": ensemble_val, "weights": weights,
                          "cross_fitted": honest is not None, **_against_plain(ensemble_val, origin, scores),
                          "val_rel_mae_selected_on": pooled_rel_mae(actual, forecasts["naive"], selected_on)}
        first = studies[0].user_attrs
        summary = {
            "study": name, "identity": ident.to_dict(), "kind": "ensemble", "family": "cross-study ensemble",
            "horizon": horizon, "studies": [s.study_name for s in studies],
            "study_uids": [identity(s, ident.storage).uid for s in studies], "dataset": first["dataset"],
            "data": first["data"], "sha256": first["sha256"], **test_period(final, test, horizon),
            "naive": evaluate(test.Y, test.naive, final.fit_series()),
            "validation": {"csv": f"{work.name}/predictions/validation.csv", "candidates": [
                {"name": n, "kind": origin[n]["kind"], "val_rel_mae": s} for n, s in scores.items()]},
            "recommendation": recommendation, "members": members, "protocols": results, "top": options.top,
            "size": options.size, "seeds": options.seeds, "selection_seconds": round(selection_s, 3),
        }
        summary["intervals"] = write_intervals(final, val_table, folder / results[0]["table"], name, horizon, work)
        summary["verdict"] = verdict.summary_sentence(summary, "the ensemble", lead=_lead(members, recommendation, scores))
        # The weights and members (with their saved models) beside them; retrain.json, renamed last, names it.
        write_json(work / "ensemble.json", {k: summary[k] for k in ("study", "identity", "horizon", "data", "sha256",
                                                                    "split", "members", "recommendation")})
        summary["ensemble"] = f"{work.name}/ensemble.json"
        publish(folder, summary, work)
    return summary
