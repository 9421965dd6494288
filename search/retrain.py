"""Retrain a study's best configurations on train + validation and score them once on the test
split, beside the naive forecast on the same days.

    python -m search.retrain --study lstm-btc-h1 --top 3 --seeds 3

Writes under ``runs/<study>/``: ``retrain.json`` (every metric), ``models/*.keras`` and
``predictions/*.csv``. Reports read these files; they do not recompute.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import optuna
import pandas as pd

import spaces
from data import FinalData, Windows
from search import cli
from search.intervals import LEVELS, conformal_halfwidth, coverage, seed_band
from search.metrics import diebold_mariano, evaluate
from search.seed_figures import SEED_FIGURES
from search.storage import RUNS
from search.study import final_data_of, load_existing
from search.trainer import predict, train

SIGNIFICANCE = 0.05
METRICS = ("mae", "mse", "rmse", "mape", "mase", "mase_insample")


def top_trials(study: optuna.Study, k: int) -> list[optuna.trial.FrozenTrial]:
    """The ``k`` best complete trials with distinct configurations."""
    done = sorted((t for t in study.get_trials(deepcopy=False, states=[optuna.trial.TrialState.COMPLETE])
                   if "config" in t.user_attrs), key=lambda t: t.value)
    seen, out = set(), []
    for t in done:
        key = json.dumps(t.params, sort_keys=True)
        if key not in seen:
            seen.add(key)
            out.append(t)
    return out[:k]


@dataclass
class HeldOutForecast:
    """What interval and stress checks need from a retrained configuration."""

    windows: Windows
    forecast: np.ndarray  # seed-mean forecast, (n, horizon)
    spread: np.ndarray  # members' or seeds' forecasts, (n, k, horizon)
    spread_of: str  # "members" or "seeds"


def retrain_config(config: dict, final: FinalData, *, horizon: int, epochs: int, seeds: list[int],
                   out: Path, label: str) -> tuple[dict, HeldOutForecast]:
    """Train ``config`` once per seed on everything before the test split; score on test.

    Returns the leaderboard row (JSON-able) and the test forecasts behind it."""
    data = final.with_features(spaces.features(config))
    fit_w = data.fit(window=config["window"], horizon=horizon)
    test_w = data.test(window=config["window"], horizon=horizon)
    (out / "models").mkdir(parents=True, exist_ok=True)
    (out / "predictions").mkdir(parents=True, exist_ok=True)
    preds, runs, members = [], [], None
    for seed in seeds:
        keras.utils.set_random_seed(seed)
        model = spaces.build(config, data.frame.shape[1], horizon)
        result = train(model, config, fit_w, None, epochs=epochs)
        pred = predict(model, result.scaler, test_w)
        if config["family"] == "ensemble" and members is None:
            raw = spaces.ensemble.member_predictions(model, result.scaler.x(test_w.X))
            members = np.stack([result.scaler.inverse_y(raw[:, k], test_w.X) for k in range(raw.shape[1])], axis=1)
        path = out / "models" / f"{label}-seed{seed}.keras"
        model.save(path)
        preds.append(pred)
        runs.append({"seed": seed, "model": str(path.relative_to(out)), "seconds": round(result.seconds, 3),
                     **evaluate(test_w.Y, pred, final.fit_series())})
        keras.backend.clear_session()  # also collects garbage
    mean_pred = np.mean(preds, axis=0)
    naive_metrics = evaluate(test_w.Y, test_w.naive, final.fit_series())
    dm_stat, dm_p = diebold_mariano(test_w.Y, mean_pred, test_w.naive, horizon=horizon, loss="abs")
    combined = evaluate(test_w.Y, mean_pred, final.fit_series())
    _write_predictions(out / "predictions" / f"{label}.csv", test_w, preds, seeds, mean_pred)
    spread = members if members is not None else np.stack(preds, axis=1)
    row = {
        "label": label, "config": config, "epochs": epochs, "seeds": runs,
        "mean": {m: float(np.mean([r[m] for r in runs])) for m in METRICS},
        "std": {m: float(np.std([r[m] for r in runs])) for m in METRICS},
        "seed_mean_forecast": combined,
        "rel_mae": combined["mae"] / naive_metrics["mae"],
        "dm_stat": dm_stat, "dm_p": dm_p,
        "beats_naive": bool(combined["mae"] < naive_metrics["mae"] and dm_p < SIGNIFICANCE),
        "predictions": f"predictions/{label}.csv",  # paths are relative to runs/<study>/
    }
    return row, HeldOutForecast(test_w, mean_pred, spread, "members" if members is not None else "seeds")


def interval_check(config: dict, final: FinalData, *, horizon: int, epochs: int, test: HeldOutForecast,
                   out: Path) -> dict:
    """Calibrate conformal intervals on validation; measure them and the seed's band on test."""
    test_w, forecast = test.windows, test.forecast
    search = final.search().with_features(spaces.features(config))
    train_w = search.train(window=config["window"], horizon=horizon)
    val_w = search.val(window=config["window"], horizon=horizon)
    keras.utils.set_random_seed(0)
    model = spaces.build(config, search.frame.shape[1], horizon)
    result = train(model, config, train_w, None, epochs=epochs)
    # Relative errors: prices rose tenfold from validation to test, and absolute errors scale with price.
    residuals = np.abs(val_w.Y / predict(model, result.scaler, val_w) - 1)
    keras.backend.clear_session()
    columns = {"date": _dates(test_w), "step": np.tile(np.arange(1, horizon + 1), len(test_w)),
               "actual": test_w.Y.ravel(), "forecast": forecast.ravel()}
    report = {"method": "split-conformal on validation relative errors |y/ŷ − 1| (model trained on train only); "
                        "band ŷ·(1 ± q)", "n_calibration": len(val_w), "levels": []}
    for level in LEVELS:
        q = conformal_halfwidth(residuals, level)
        lo, hi = forecast * (1 - q), forecast * (1 + q)
        pct = int(round(level * 100))
        columns[f"lo{pct}"], columns[f"hi{pct}"] = lo.ravel(), hi.ravel()
        report["levels"].append({"nominal": level, "relative_halfwidth": q.tolist(),
                                 "coverage": coverage(test_w.Y, lo, hi)})
    lo, hi = seed_band(test.spread)
    columns["seed_lo95"], columns["seed_hi95"] = lo.ravel(), hi.ravel()
    report["seed_band"] = {"method": f"mean ± 1.96 std of the {test.spread.shape[1]} {test.spread_of}' forecasts",
                           "nominal": 0.95, "coverage": coverage(test_w.Y, lo, hi),
                           "mean_halfwidth": float(np.mean(hi - lo) / 2)}
    path = out / "predictions" / "intervals.csv"
    pd.DataFrame(columns).to_csv(path, index=False, float_format="%.6f")
    report["csv"] = str(path.relative_to(out))
    return report


def stress_test(test: HeldOutForecast, fit_series) -> dict:
    """The seed's turkey test: the last price divided by 100, scored on the same test days.

    The crash is a test-split day, so the training data and the retrained model are unchanged; what
    moves is the score of a forecast that could not have seen it coming.
    """
    test_w, forecast = test.windows, test.forecast
    y = test_w.Y.copy()
    y[-1, -1] /= 100
    def row(pred):
        return {"normal": evaluate(test_w.Y, pred, fit_series), "turkey": evaluate(y, pred, fit_series)}
    return {"last_day": str(test_w.days[-1].date()), "price": float(test_w.Y[-1, -1]),
            "turkey_price": float(y[-1, -1]), "model": row(forecast), "naive": row(test_w.naive)}


def _dates(windows) -> np.ndarray:
    """The target date of every (window, step) pair, flattened like ``Y.ravel()``."""
    n, h = windows.Y.shape
    return (windows.days.repeat(h) + pd.to_timedelta(np.tile(np.arange(h), n), unit="D")).date


def _write_predictions(path: Path, test_w, preds, seeds, mean_pred) -> None:
    n, h = test_w.Y.shape
    frame = pd.DataFrame({
        "date": _dates(test_w),
        "step": np.tile(np.arange(1, h + 1), n),
        "actual": test_w.Y.ravel(), "naive": test_w.naive.ravel(),
        **{f"seed{s}": p.ravel() for s, p in zip(seeds, preds, strict=True)},
        "forecast": mean_pred.ravel(),
    })
    frame.to_csv(path, index=False, float_format="%.6f")


def retrain_study(study: optuna.Study, *, top: int = 3, seeds: int = 3, runs_dir: Path = RUNS) -> dict:
    """Retrain the study's top configurations; write and return ``retrain.json``'s content."""
    final = final_data_of(study)
    horizon = study.user_attrs["horizon"]
    family = study.user_attrs["family"]
    out = runs_dir / study.study_name
    naive_w = final.test(window=7, horizon=horizon)
    naive = evaluate(naive_w.Y, naive_w.naive, final.fit_series())
    results, best_test = [], None
    for rank, trial in enumerate(top_trials(study, top), start=1):
        config = trial.user_attrs["config"]
        epochs = max(int(trial.user_attrs.get("best_epoch", config["epochs"])), 1)
        row, test = retrain_config(config, final, horizon=horizon, epochs=epochs, seeds=list(range(seeds)),
                                   out=out, label=f"rank{rank}-trial{trial.number}")
        results.append({"rank": rank, "trial": trial.number, "val_mase": trial.value,
                        "preset": trial.user_attrs.get("preset"), **row})
        best_test = best_test or test
    extras = {}
    if results:  # intervals and stress test for the best configuration by validation
        extras["intervals"] = interval_check(results[0]["config"], final, horizon=horizon,
                                             epochs=results[0]["epochs"], test=best_test, out=out)
        extras["stress"] = stress_test(best_test, final.fit_series())
    summary = {
        "study": study.study_name, "family": family, "horizon": horizon,
        "dataset": study.user_attrs["dataset"], "split": final.plan.to_dict(),
        "n_test": len(naive_w), "test_first_day": str(naive_w.days[0].date()),
        "test_last_day": str(naive_w.days[-1].date()),
        "naive": naive, "seed_published": SEED_FIGURES.get(family), "retrained": results,
        "verdict": verdict(results, naive), **extras,
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "retrain.json").write_text(json.dumps(summary, indent=2))
    return summary


def retrain_from_file(path: Path, runs_dir: Path = RUNS) -> dict:
    """Retrain a ``best_config.json`` without its study: same data (sha256 checked), split, seeds."""
    from search.study import DataSpec

    try:
        spec = json.loads(Path(path).read_text())
        config, horizon, dataset = spec["config"], int(spec["horizon"]), dict(spec["dataset"])
        sha256 = dataset.pop("sha256")
        data = DataSpec(**{k: v for k, v in dataset.items() if k != "name"})
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise cli.UsageError(f"{path}: not a usable best_config.json ({type(err).__name__}: {err})") from None
    final = data.final_data(horizon, sha256=sha256)
    out = runs_dir / f"{spec['study']}-from-config"
    result, _ = retrain_config(config, final, horizon=horizon, epochs=int(spec["epochs"]),
                               seeds=list(spec["seeds"]), out=out, label=f"trial{spec['trial']}")
    (out / "retrain.json").write_text(json.dumps(result, indent=2))
    return result


def verdict(results: list[dict], naive: dict) -> str:
    """One plain sentence: does the best configuration (by validation) beat naive, significantly?"""
    if not results:
        return "No configuration completed, so nothing was compared with the naive forecast."
    best = results[0]  # chosen on validation; picking by test scores would select on the test split
    gap = 100 * (best["rel_mae"] - 1)
    who = f"The best configuration (trial {best['trial']})"
    p = f"Diebold–Mariano p = {best['dm_p']:.3g}"
    if best["beats_naive"]:
        return f"{who} beats the naive forecast significantly: MAE {-gap:.2f}% lower, {p}."
    if gap < 0:
        return f"{who} is {-gap:.2f}% better than naive on MAE, but not significantly ({p}): no real gain."
    return f"{who} does not beat the naive forecast: MAE {gap:.2f}% higher ({p})."


def format_table(summary: dict) -> str:
    """The comparison table printed at the end of a run."""
    naive = summary["naive"]
    rows = [("naive (same test days)", f"{naive['mae']:.2f}", f"{naive['mase']:.4f}", "1.0000", "", "")]
    seed = summary.get("seed_published")
    if seed:
        rows.append((f"{seed['model']} (published*)", f"{seed['mae']:.2f}", f"{seed['mase']:.4f}", "", "", ""))
    for r in summary["retrained"]:
        m, s = r["mean"], r["std"]
        rows.append((f"#{r['rank']} trial {r['trial']}" + (f" [{r['preset']}]" if r.get("preset") else ""),
                     f"{m['mae']:.2f} ± {s['mae']:.2f}", f"{m['mase']:.4f} ± {s['mase']:.4f}",
                     f"{r['rel_mae']:.4f}", f"{r['dm_p']:.3g}", f"{r['val_mase']:.4f}"))
    head = ("model", "test MAE", "test MASE", "rel. MAE", "DM p", "val MASE")
    widths = [max(len(str(row[i])) for row in [head, *rows]) for i in range(len(head))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in [head, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append(f"test split: {summary['n_test']} days, {summary['test_first_day']} .. {summary['test_last_day']}; "
                 "retrained on train + validation; mean ± std over seeds; rel. MAE and DM p of the seed-mean forecast.")
    if seed:
        lines.append("* the seed chose its checkpoints on the test split; its figure is shown for reference only.")
    lines.append(summary["verdict"])
    return "\n".join(lines)


@cli.main_guard
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m search.retrain", description=__doc__.split("\n")[0])
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--study", help="study name (see `python -m search.report --all`)")
    which.add_argument("--config", type=Path, help="a best_config.json written by search.report: retrain from it alone")
    parser.add_argument("--storage", help="storage URL (default: sqlite:///runs/optuna.db)")
    parser.add_argument("--top", type=int, default=3, help="how many best configurations to retrain (default 3)")
    parser.add_argument("--seeds", type=int, default=3, help="random seeds per configuration (default 3)")
    parser.add_argument("--verbose", action="store_true", help="show TensorFlow's logging")
    args = parser.parse_args(argv)
    cli.quiet_tensorflow(args.verbose)
    if args.config:
        result = retrain_from_file(args.config)
        print(json.dumps({k: result[k] for k in ("mean", "std", "rel_mae", "dm_p", "beats_naive")}, indent=2))
        return 0
    study = load_existing(args.study, args.storage)
    summary = retrain_study(study, top=args.top, seeds=args.seeds)
    print(format_table(summary))
    return 0


if __name__ == "__main__":
    main()
