"""The evidence table: several eras of the data, today's protocol against the walk-forward one.

For each era (the data cut ``--until`` a date; test = its last 20% of windows, the seed's split):

- today's protocol: one study with a single validation fold, and its best configuration by
  validation, retrained (what round one shipped);
- the walk-forward protocol: the same family with K folds, and the forecaster it recommends on
  validation among configurations, naive, the classical models and shrinkage (beside the one with
  the lowest validation score, which the recommendation overrules when its edge is not significant);
- an ensemble selected on validation over that study, a second family's study, naive and the
  classical models.

Every forecaster is scored on the same test days, one table per protocol: relative MAE, the
Diebold–Mariano p-value against naive, and membership in one Model Confidence Set over the
forecasters shown.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from search.bench.common import progress

ERAS = ("2018-06-30", "2019-11-09", "2021-05-18")


def _run(tmp: Path, module, argv: list[str]) -> None:
    old = os.getcwd()
    os.chdir(tmp)  # each era's runs/ stays in its temporary folder
    try:
        assert module.main(argv) == 0
    finally:
        os.chdir(old)


def _folder(tmp: Path, name: str) -> Path:
    """A study's results folder, or an ensemble's (they have their own namespace)."""
    return tmp / "runs" / name if (tmp / "runs" / name).is_dir() else tmp / "runs" / "ensembles" / name


def _summary(tmp: Path, name: str) -> dict:
    return json.loads((_folder(tmp, name) / "retrain.json").read_text())


def one_era(tmp: Path, until: str, *, families, trials: int, folds: int, refit_every: int, data: str) -> dict:
    import pandas as pd

    from search import ensemble, run
    from search.evaluation.scoring import score_table

    common = ["--trials", str(trials), "--data", data, "--until", until, "--refit-every", str(refit_every),
              "--no-report"]
    first = families[0]
    _run(tmp, run, ["--family", first, "--folds", "1", "--study", f"{first}-k1", *common])
    for family in families:
        _run(tmp, run, ["--family", family, "--folds", str(folds), "--study", f"{family}-k{folds}", *common])
    _run(tmp, ensemble, ["--studies", ",".join(f"{f}-k{folds}" for f in families), "--name", "ens",
                         "--refit-every", str(refit_every)])
    today, walk, ens = (_summary(tmp, n) for n in (f"{first}-k1", f"{first}-k{folds}", "ens"))
    lowest = min(walk["validation"]["candidates"], key=lambda c: c["val_rel_mae"])["name"]
    picks = {"naive": (walk, "naive"), "AutoETS": (walk, "AutoETS"),
             "today": (today, today["retrained"][0]["name"]), "lowest": (walk, lowest),
             "recommended": (walk, walk["recommendation"]["name"]), "ensemble": (ens, "ens")}
    era = {"until": until, "test": f"{walk['test_first_day']} .. {walk['test_last_day']}", "n_test": walk["n_test"],
           "names": {k: name for k, (_, name) in picks.items()}, "protocols": []}
    for k, protocol in enumerate(walk["protocols"]):
        tables = {id(s): pd.read_csv(_folder(tmp, s["study"]) / s["protocols"][k]["table"]) for s in (today, walk, ens)}
        base = tables[id(walk)]
        frame = base[["date", "step", "actual"]].copy()
        for key, (summary, name) in picks.items():
            frame[key] = tables[id(summary)][name].to_numpy()
        scored = score_table(frame, horizon=walk["horizon"], fit_series=[1.0, 2.0])
        era["protocols"].append({"label": protocol["label"], "rows": {
            r["name"]: {k: r[k] for k in ("rel_mae", "dm_p", "in_mcs")} for r in scored["rows"]}})
    return era


def bench_eras(data: str, families, trials: int, folds: int, refit_every: int, eras=ERAS,
               keep: Path | None = None) -> dict:
    """``keep``: a folder to keep each era's studies and results in (default: temporary)."""
    data = str(Path(data).resolve()) if Path(data).is_file() else data  # each era runs in its own folder
    out = {"families": list(families), "trials": trials, "folds": folds, "refit_every": refit_every, "eras": []}
    for until in eras:
        with tempfile.TemporaryDirectory() as tmp:
            where = Path(keep) / until if keep else Path(tmp)
            where.mkdir(parents=True, exist_ok=True)
            out["eras"].append(one_era(where, until, families=families, trials=trials, folds=folds,
                                       refit_every=refit_every, data=data))
        progress(f"eras: {out['eras'][-1]}")
    return out


def markdown(result: dict) -> str:
    lines = ["| test days | protocol | forecaster | rel. MAE | DM p | in 90% MCS |", "|---|---|---|---|---|---|"]
    labels = {"naive": "naive", "AutoETS": "AutoETS", "today": "today's protocol",
              "lowest": "lowest validation score", "recommended": "recommendation", "ensemble": "ensemble"}
    for era in result["eras"]:
        for p in era["protocols"]:
            for key, label in labels.items():
                r = p["rows"][key]
                who = f"{label} ({era['names'][key]})" if key in ("today", "lowest", "recommended") else label
                lines.append(f"| {era['test']} | {p['label']} | {who} | {r['rel_mae']:.4f} | {r['dm_p']:.3g} | "
                             f"{'yes' if r['in_mcs'] else 'no'} |")
    return "\n".join(lines)
