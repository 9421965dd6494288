"""The evidence table: several eras of the data, today's protocol against the walk-forward one.

For each era (the data cut ``--until`` a date; test = its last 20% of windows, the seed's split),
two studies of one family with the same trial budget: one validation fold and the best
configuration by validation (today's protocol), and K walk-forward folds with the recommendation
chosen on validation among configurations, naive, classical models and shrinkage. Both are scored
on the same test days, beside naive and AutoETS, with DM p-values and Model Confidence Set
membership (static fit, and the rolling refit when ``refit_every`` > 0).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from search.bench.common import progress

ERAS = ("2018-06-30", "2019-11-09", "2021-05-18")


def _study(tmp: Path, family: str, until: str, folds: int, trials: int, refit_every: int, data: str) -> dict:
    import os

    from search import run

    name = f"{family}-{until}-k{folds}"
    old = os.getcwd()
    os.chdir(tmp)  # runs/ of each era stays in the temporary folder
    try:
        run.main(["--family", family, "--trials", str(trials), "--data", data, "--until", until, "--folds",
                  str(folds), "--study", name, "--refit-every", str(refit_every), "--no-report"])
    finally:
        os.chdir(old)
    return json.loads((tmp / "runs" / name / "retrain.json").read_text())


def _row(summary: dict, protocol: int, name: str) -> dict:
    p = summary["protocols"][protocol]
    r = next(r for r in p["rows"] if r["name"] == name)
    return {"name": name, "rel_mae": r["rel_mae"], "dm_p": r["dm_p"], "in_mcs": r["in_mcs"],
            "val_rel_mae": r.get("val_rel_mae")}


def bench_eras(data: str, family: str, trials: int, folds: int, refit_every: int, eras=ERAS) -> dict:
    out = {"family": family, "trials": trials, "folds": folds, "refit_every": refit_every, "eras": []}
    with tempfile.TemporaryDirectory() as tmp:
        for until in eras:
            single = _study(Path(tmp), family, until, 1, trials, refit_every, data)
            walk = _study(Path(tmp), family, until, folds, trials, refit_every, data)
            era = {"until": until, "test": f"{walk['test_first_day']} .. {walk['test_last_day']}",
                   "n_test": walk["n_test"], "protocols": []}
            for k, protocol in enumerate(walk["protocols"]):
                era["protocols"].append({
                    "label": protocol["label"],
                    "naive": _row(walk, k, "naive"), "AutoETS": _row(walk, k, "AutoETS"),
                    "today": _row(single, k, single["retrained"][0]["name"]),
                    "recommended": _row(walk, k, walk["recommendation"]["name"]),
                })
            out["eras"].append(era)
            progress(f"eras: {era}")
    return out


def markdown(result: dict) -> str:
    lines = ["| era (test days) | protocol | forecaster | rel. MAE | DM p | in 90% MCS |", "|---|---|---|---|---|---|"]
    for era in result["eras"]:
        for p in era["protocols"]:
            for key, label in (("naive", "naive"), ("AutoETS", "AutoETS"),
                               ("today", f"today's protocol ({p['today']['name']})"),
                               ("recommended", f"recommended ({p['recommended']['name']})")):
                r = p[key]
                lines.append(f"| {era['test']} | {p['label']} | {label} | {r['rel_mae']:.4f} | {r['dm_p']:.3g} | "
                             f"{'yes' if r['in_mcs'] else 'no'} |")
    return "\n".join(lines)
