"""Reports people open: the recommendation, every candidate under every protocol, and one
self-contained HTML page (Markdown rendered by markdown-it, plotly embedded, works offline).

Reports read what retraining wrote (:func:`search.results.reading`); they recompute nothing. A
report goes to the folder mirroring its results folder under ``runs/reports/``.
"""

from __future__ import annotations

import html
import json
import platform
from importlib import metadata
from pathlib import Path

import optuna
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from search.files import write_json, write_text
from search.reporting import figures
from search.reporting.markdown import ensemble_markdown, markdown_report, page, render_markdown
from search.results import read_table, reading, row_of
from search.workspace import Identity, Workspace

PACKAGES = ("tensorflow", "keras", "optuna", "keras-tuner", "statsforecast", "arch", "numpy", "pandas", "plotly")


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def best_config(summary: dict, report_dir: Path) -> dict:
    """The recommendation and the protocols it was tested under, plus the best configuration by
    validation with everything needed to retrain it without the study."""
    out = {"study": summary["study"], "identity": summary["identity"], "family": summary["family"],
           "horizon": summary["horizon"], "recommendation": summary["recommendation"],
           "protocols": [{k: p[k] for k in ("key", "label", "refit_every", "warm")} for p in summary["protocols"]],
           "dataset": {**summary["data"], "name": summary["dataset"], "sha256": summary["sha256"]},
           "split": {**summary["split"], "test_days": summary["n_test"], "test_first_day": summary["test_first_day"],
                     "test_last_day": summary["test_last_day"]},
           "naive": summary["naive"], "verdict": summary["verdict"], "versions": versions()}
    if summary["retrained"]:
        best = summary["retrained"][0]
        static = row_of(summary["protocols"][0], best["name"])
        out.update({"trial": best["trial"], "config": best["config"], "epochs": best["epochs"],
                    "seeds": [s["seed"] for s in best["seeds"]],
                    "validation": {"rel_mae": best["val_rel_mae"], "folds": summary["folds"]},
                    "test": {"mean": best["mean"], "std": best["std"],
                             "seed_mean_forecast": {k: static[k] for k in best["mean"]}, "rel_mae": static["rel_mae"],
                             "dm_p": static["dm_p"], "beats_naive": static["beats_naive"]},
                    "retrain_command": f"python -m search.retrain --config {report_dir / 'best_config.json'}"})
    return out


def _test_sections(folder: Path, summary: dict) -> list[tuple[str, object]]:
    name, sections = summary["recommendation"]["name"], []
    for protocol in summary["protocols"]:
        table = figures.steps(read_table(folder, protocol["table"]))
        if protocol is summary["protocols"][0]:
            sections.append(("Test period", figures.test_period_figure(table, name)))
        shown = figures.close_to_naive(protocol["rows"], keep=name)
        sections.append((f"Gains and losses against naive, {protocol['label']}",
                         figures.cumulative_figure(table, shown, protocol["label"])))
    iv = figures.steps(read_table(folder, summary["intervals"]["csv"]))
    sections.append(("Prediction intervals", figures.interval_figure(iv, summary["intervals"])))
    return sections


def _body(sections: list[tuple[str, object]]) -> str:
    body, first = [], True
    for title, item in sections:
        body.append(f"<h2>{html.escape(title)}</h2>")
        if isinstance(item, go.Figure):
            body.append(pio.to_html(item, full_html=False, include_plotlyjs=first, config={"responsive": True}))
            first = False
        else:
            body.append(f"<p class='note'>{html.escape(str(item))}</p>")
    return "\n".join(body)


def write_study_report(study: optuna.Study, ident: Identity, ws: Workspace) -> Path:
    """Write best_config.json, report.md and report.html for one retrained study; return the folder."""
    from search.engine.study import final_data_of

    out = ws.report_dir(ident)
    with reading(ws, ident) as (folder, summary):
        report_md = markdown_report(summary)
        sections = _test_sections(folder, summary)
        sections.insert(-1, ("Validation vs test", figures.reliability_figure(summary)))
        forecast = folder / "forecast.csv"
        if forecast.is_file():
            meta = json.loads(forecast.with_suffix(".json").read_text())
            sections.append(("Future forecast", figures.forecast_figure(final_data_of(study).frame,
                                                                        pd.read_csv(forecast), meta)))
        if summary.get("stress"):
            sections.append(("Stress test", figures.stress_figure(summary["stress"])))
        sections += figures.search_figures(study)
        report_html = page(f"BitPredict Search — {summary['study']}", render_markdown(report_md), _body(sections))
        write_json(out / "best_config.json", best_config(summary, out))
    write_text(out / "report.md", report_md)
    write_text(out / "report.html", report_html)
    return out


def write_ensemble_report(ident: Identity, ws: Workspace) -> Path:
    out = ws.report_dir(ident)
    with reading(ws, ident) as (folder, summary):
        md = ensemble_markdown(summary)
        body = _body(_test_sections(folder, summary))
    write_text(out / "report.md", md)
    write_text(out / "report.html", page(f"BitPredict Search — {summary['study']}", render_markdown(md), body))
    return out
