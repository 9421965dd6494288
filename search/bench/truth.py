"""Size and power of the recommendation, on series whose truth is known (:mod:`data.truth`).

For R seeds of each kind, the real pipeline runs in a folder of its own: ``search.run --family F
--trials T --data truth:KIND:SEED`` (search, retrain, guard, recommendation, MCS, intervals). Then
every guard rule is applied to the same evidence (the validation forecasts of the candidates and
of every complete trial), so that the rules are compared on identical searches:

- **size** (random walk, GARCH: nothing to learn): the share of series where a searched network is
  recommended, and where anything in a test table is declared significantly better than naive;
- **power** (AR(1), nonlinear): the share where the recommendation beats naive on test, and where
  it is a searched network (only a network can use the nonlinear kind's pattern);
- the recommendation's test rel. MAE beside the oracle's;
- interval coverage at 80% and 95% and mean band width relative to the oracle's band.

It also measures the intervals on the three CoinDesk eras, for naive and AutoETS (the usual
recommendations there): coverage and width of the normalised conformal band beside round two's
band from raw relative errors, on the same forecasts.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np

from search.bench.common import progress

KINDS = ("random_walk", "garch", "ar1", "nonlinear")
ERAS = ("2018-06-30", "2019-11-09", "2021-05-18")


def _chdir_run(where: Path, argv: list[str]) -> None:
    """The pipeline in ``where``, its lines to ``where/run.log`` (the bench's stdout holds its results)."""
    from search import run

    old = os.getcwd()
    os.chdir(where)
    try:
        with open("run.log", "w") as log, contextlib.redirect_stdout(log):
            assert run.main(argv) == 0
    finally:
        os.chdir(old)


def _rules(where: Path, name: str) -> dict:
    """Every guard rule's recommendation on the finished study's evidence, with its test scores."""
    import pandas as pd

    from search.engine.artifacts import artifact_store
    from search.engine.study import load_existing
    from search.evaluation.options import RULES
    from search.evaluation.recommend import choose
    from search.evaluation.retrain import evidence_of

    runs = where / "runs"
    summary = json.loads((runs / name / "retrain.json").read_text())
    study = load_existing(name, f"sqlite:///{runs / 'optuna.db'}")
    table = pd.read_csv(runs / name / summary["validation"]["csv"], parse_dates=["date"])
    evidence = evidence_of(study, table, summary["horizon"], artifact_store(runs / "artifacts", create=False))
    rows = {r["name"]: r for r in summary["protocols"][0]["rows"]}
    out = {}
    for rule in RULES:
        rec = choose(summary["validation"]["candidates"], evidence, rule=rule)
        out[rule] = {"name": rec["name"], "kind": rec["kind"], "test_rel_mae": rows[rec["name"]]["rel_mae"],
                     "why": rec["why"]}
    claims = [r["name"] for p in summary["protocols"] for r in p["rows"] if r["beats_naive"]]
    return {"rules": out, "claims": claims, "summary": summary}


def _oracle(where: Path, kind: str, seed: int, summary: dict) -> dict:
    """The oracle's test rel. MAE and band widths on the days the pipeline was tested on."""
    import pandas as pd

    from data import DataSpec, truth

    frame = truth.generate(kind, seed, n=len(DataSpec.from_dict(summary["data"]).frame()))
    oracle = truth.oracle(frame, kind)
    bands = pd.read_csv(where / "runs" / summary["study"] / summary["intervals"]["csv"], parse_dates=["date"])
    at = frame.index.get_indexer(bands["date"])
    out = {"rel_mae": truth.rel_mae(frame, oracle.median, at)}
    for level in summary["intervals"]["levels"]:
        lo, hi = oracle.band(level["nominal"])
        pct = int(round(100 * level["nominal"]))
        ours = ((bands[f"hi{pct}"] - bands[f"lo{pct}"]) / bands["forecast"]).to_numpy()
        out[f"width_ratio_{pct}"] = float(np.mean(ours) / np.mean((hi[at] - lo[at]) / oracle.median[at]))
        out[f"coverage_{pct}"] = level["coverage"]
        out[f"oracle_coverage_{pct}"] = float(np.mean((frame["target"].to_numpy()[at] >= lo[at]) &
                                                      (frame["target"].to_numpy()[at] <= hi[at])))
    return out


def one_series(where: Path, kind: str, seed: int, *, family: str, trials: int, epochs: int | None,
               refit_every: int, seeds: int, days: int | None = None) -> dict:
    name = f"truth-{kind}-{seed}"
    data = f"truth:{kind}:{seed}" + (f":{days}" if days else "")
    argv = ["--family", family, "--trials", str(trials), "--data", data, "--study", name,
            "--refit-every", str(refit_every), "--seeds", str(seeds), "--no-report", "--seed", str(seed)]
    if not (where / "runs" / name / "retrain.json").is_file():  # a kept folder is judged again, not re-run
        _chdir_run(where, argv + (["--epochs", str(epochs)] if epochs else []))
    judged = _rules(where, name)
    summary = judged.pop("summary")
    return {"kind": kind, "seed": seed, **judged, "oracle": _oracle(where, kind, seed, summary),
            "n_trials": sum(1 for _ in summary["validation"]["candidates"])}


def aggregate(series: list[dict]) -> dict:
    """Per kind and rule: size or power, the recommendation against the oracle, and the intervals."""
    out = {}
    for kind in sorted({s["kind"] for s in series}, key=KINDS.index):
        group = [s for s in series if s["kind"] == kind]
        rules = {}
        for rule in group[0]["rules"]:
            picks = [s["rules"][rule] for s in group]
            rules[rule] = {"network": float(np.mean([p["kind"] in ("config", "shrink") for p in picks])),
                           "beats_naive": float(np.mean([p["test_rel_mae"] < 1 for p in picks])),
                           "rel_mae": float(np.mean([p["test_rel_mae"] for p in picks]))}
        oracle = [s["oracle"] for s in group]
        out[kind] = {"series": len(group), "rules": rules,
                     "claimed": float(np.mean([bool(s["claims"]) for s in group])),
                     "oracle_rel_mae": float(np.mean([o["rel_mae"] for o in oracle])),
                     **{k: float(np.mean([o[k] for o in oracle])) for k in oracle[0] if k != "rel_mae"}}
    return out


def _relative_band(val_actual, val_forecast, test_forecast, level):
    """Round two's band, for comparison: ŷ·(1 ± q) with q from raw relative errors."""
    from search.evaluation.intervals import conformal_halfwidth

    q = conformal_halfwidth(np.abs(val_actual / val_forecast - 1), level)
    return test_forecast * (1 - q), test_forecast * (1 + q)


def eras_calibration(data: str, eras=ERAS, folds: int = 3) -> list[dict]:
    """Coverage and width of both bands for naive and AutoETS on each era's static test days."""
    from data import DataSpec
    from search.evaluation.baselines import test_baselines, validation_baselines
    from search.evaluation.intervals import LEVELS, interval_summary
    from search.evaluation.metrics import windows

    rows = []
    for until in eras:
        final = DataSpec(data=data, folds=folds, until=until).final_data(1)
        val, test = validation_baselines(final, 1), test_baselines(final, 1, 0)
        for name in ("naive", "AutoETS"):
            info, _ = interval_summary(final.frame, val["date"], windows(val, "actual", 1), windows(val, name, 1),
                                       test["date"], windows(test, "actual", 1), windows(test, name, 1))
            for level, lv in zip(LEVELS, info["levels"], strict=True):
                lo, hi = _relative_band(windows(val, "actual", 1), windows(val, name, 1), windows(test, name, 1), level)
                y = windows(test, "actual", 1)
                rows.append({"until": until, "forecaster": name, "nominal": level, "coverage": lv["coverage"],
                             "width": lv["mean_relative_width"], "old_coverage": float(np.mean((y >= lo) & (y <= hi))),
                             "old_width": float(np.mean((hi - lo) / windows(test, name, 1)))})
    return rows


def bench_truth(*, series: int, family: str, trials: int, epochs: int | None, refit_every: int, seeds: int,
                kinds=KINDS, keep: str | None = None, data: str | None = "btc", days: int | None = None) -> dict:
    """``data``: the CoinDesk file whose eras' intervals are measured too (None: not measured)."""
    out = {"family": family, "trials": trials, "series_per_kind": series, "series": []}
    for kind in kinds:
        for seed in range(series):
            with tempfile.TemporaryDirectory() as tmp:
                where = Path(keep) / f"{kind}-{seed}" if keep else Path(tmp)
                where.mkdir(parents=True, exist_ok=True)
                out["series"].append(one_series(where, kind, seed, family=family, trials=trials, epochs=epochs,
                                                refit_every=refit_every, seeds=seeds, days=days))
            progress(f"truth: {kind} {seed}: " + ", ".join(f"{r} -> {v['name']} ({v['test_rel_mae']:.4f})"
                                                           for r, v in out["series"][-1]["rules"].items()))
    out["by_kind"] = aggregate(out["series"])
    out["eras"] = eras_calibration(data) if data else []
    return out


def markdown(result: dict) -> str:
    """Size, power, the oracle and the intervals per kind and rule; then the eras' intervals."""
    lines = [f"truth: {result['family']}, {result['trials']} trials per series", "",
             "| kind | series | rule | network recommended | beats naive on test | test rel. MAE | oracle |"
             " claimed on test |", "|---|---|---|---|---|---|---|---|"]
    for kind, k in result["by_kind"].items():
        for rule, r in k["rules"].items():
            lines.append(f"| {kind} | {k['series']} | {rule} | {r['network']:.0%} | {r['beats_naive']:.0%} | "
                         f"{r['rel_mae']:.4f} | {k['oracle_rel_mae']:.4f} | {k['claimed']:.0%} |")
    lines += ["", "| kind | coverage 80% | coverage 95% | width vs oracle 80% | width vs oracle 95% |",
              "|---|---|---|---|---|"]
    for kind, k in result["by_kind"].items():
        lines.append(f"| {kind} | {k['coverage_80']:.1%} | {k['coverage_95']:.1%} | {k['width_ratio_80']:.2f} | "
                     f"{k['width_ratio_95']:.2f} |")
    lines += ["", "| era ends | forecaster | nominal | coverage | mean width | round two's coverage | its width |",
              "|---|---|---|---|---|---|---|"]
    for r in result["eras"]:
        lines.append(f"| {r['until']} | {r['forecaster']} | {r['nominal']:.0%} | {r['coverage']:.1%} | "
                     f"{r['width']:.2%} | {r['old_coverage']:.1%} | {r['old_width']:.2%} |")
    return "\n".join(lines)
