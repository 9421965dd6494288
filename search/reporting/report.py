"""Reports people open: the recommendation, every candidate under every protocol, and one
self-contained HTML page (Markdown rendered by markdown-it, plotly embedded, works offline).

Reports read what retraining wrote (:func:`search.results.read_retrain`); they recompute nothing.
"""

from __future__ import annotations

import html
import platform
from importlib import metadata
from pathlib import Path

import optuna
import plotly.graph_objects as go
import plotly.io as pio
from markdown_it import MarkdownIt

from search.engine.storage import RUNS
from search.errors import SearchError
from search.files import write_json, write_text
from search.reporting import figures
from search.reporting.tables import leaderboard_markdown, ordered, protocol_markdown
from search.results import read_retrain, read_table, run_dir

PACKAGES = ("tensorflow", "keras", "optuna", "keras-tuner", "statsforecast", "arch", "numpy", "pandas", "plotly")


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def best_config(study: optuna.Study, summary: dict, report_dir: Path) -> dict:
    """The recommendation and the protocols it was tested under, plus the best configuration by
    validation with everything needed to retrain it without the study."""
    best = summary["retrained"][0]
    static = next(r for r in summary["protocols"][0]["rows"] if r["name"] == best["name"])
    attrs = study.user_attrs
    return {
        "study": study.study_name, "family": summary["family"], "horizon": summary["horizon"],
        "recommendation": summary["recommendation"],
        "protocols": [{k: p[k] for k in ("key", "label", "refit_every", "warm")} for p in summary["protocols"]],
        "trial": best["trial"], "config": best["config"], "epochs": best["epochs"],
        "seeds": [s["seed"] for s in best["seeds"]],
        "dataset": {**attrs["data"], "name": attrs["dataset"], "sha256": attrs["sha256"]},
        "split": {**summary["split"], "test_days": summary["n_test"], "test_first_day": summary["test_first_day"],
                  "test_last_day": summary["test_last_day"]},
        "validation": {"rel_mae": best["val_rel_mae"], "folds": summary["folds"]},
        "test": {"mean": best["mean"], "std": best["std"], "seed_mean_forecast": {k: static[k] for k in best["mean"]},
                 "rel_mae": static["rel_mae"], "dm_p": static["dm_p"], "beats_naive": static["beats_naive"]},
        "naive": summary["naive"], "verdict": summary["verdict"], "versions": versions(),
        "retrain_command": f"python -m search.retrain --config {report_dir / 'best_config.json'}",
    }


def markdown_report(summary: dict) -> str:
    rec = summary["recommendation"]
    parts = [f"# {summary['study']}: {summary['family']}, horizon {summary['horizon']}", "",
             f"**{summary['verdict']}**", "",
             "## Recommendation, chosen on validation only", "",
             f"Every candidate scored on the same {summary['folds']} walk-forward validation fold(s): MAE relative "
             f"to naive, pooled over every validation day. Recommended: **{rec['name']}**.", "",
             "| candidate | kind | validation rel. MAE |", "|---|---|---|"]
    parts += [f"| {c['name']} | {c['kind']} | {c['val_rel_mae']:.4f} |" for c in ordered(summary["validation"]["candidates"])]
    for protocol in summary["protocols"]:
        parts += ["", f"## Test split, {protocol['label']}", "",
                  f"{summary['n_test']} days, {summary['test_first_day']} .. {summary['test_last_day']}, never seen "
                  "by the search. Configurations: mean forecast of their seeds. DM p: Diebold–Mariano against naive "
                  f"(absolute loss, HLN-corrected). In MCS: inside the {protocol['mcs']['level']:.0%} Model "
                  "Confidence Set.", "", protocol_markdown(summary, protocol)]
    seed = summary.get("seed_published")
    if seed:
        parts += ["", f"The seed notebook published MAE {seed['mae']:.2f} (MASE {seed['mase']:.4f}) for "
                  f"{seed['model']} on these test days, choosing its checkpoints on them: for reference only."]
    rel = summary["reliability"]
    if "spearman" in rel:
        parts += ["", "## Selection reliability", "",
                  f"Spearman rank correlation between validation and test relative MAE over the {rel['configs']} "
                  f"retrained configurations: {rel['spearman']:.2f} (p = {rel['spearman_p']:.2g})."]
    iv, band = summary["intervals"], summary["seed_band"]
    parts += ["", f"## Prediction intervals of {iv['forecaster']} (coverage measured on the test split)", "",
              "| interval | nominal | test coverage |", "|---|---|---|"]
    parts += [f"| conformal | {lv['nominal']:.0%} | {lv['coverage']:.1%} |" for lv in iv["levels"]]
    parts.append(f"| seed's ±1.96σ ({band['method']}) | 95% | {band['coverage']:.1%} |")
    st = summary["stress"]
    parts += ["", "## Stress test (the seed's turkey problem)", "",
              f"Last price ({st['last_day']}) divided by 100: {st['price']:,.2f} -> {st['turkey_price']:,.2f}.", "",
              "| forecast | MAE | MAE with crash | MASE | MASE with crash |", "|---|---|---|---|---|"]
    for who, label in (("model", "best configuration"), ("naive", "naive")):
        a, b = st[who]["normal"], st[who]["turkey"]
        parts.append(f"| {label} | {a['mae']:.2f} | {b['mae']:.2f} | {a['mase']:.4f} | {b['mase']:.4f} |")
    return "\n".join(parts) + "\n"


def render_markdown(text: str) -> str:
    return MarkdownIt("commonmark", {"html": False}).enable("table").render(text)


def html_report(study: optuna.Study, summary: dict, report_md: str, runs_dir: Path) -> str:
    name, sections = summary["recommendation"]["name"], []
    for protocol in summary["protocols"]:
        table = figures.steps(read_table(study.study_name, protocol["table"], runs_dir))
        if protocol is summary["protocols"][0]:
            sections.append(("Test period", figures.test_period_figure(table, name)))
        shown = figures.close_to_naive(protocol["rows"], keep=name)
        sections.append((f"Gains and losses against naive, {protocol['label']}",
                         figures.cumulative_figure(table, shown, protocol["label"])))
    sections.append(("Validation vs test", figures.reliability_figure(summary)))
    iv = figures.steps(read_table(study.study_name, summary["intervals"]["csv"], runs_dir))
    sections.append(("Prediction intervals", figures.interval_figure(iv, summary["intervals"])))
    forecast = run_dir(study.study_name, runs_dir) / "forecast.csv"
    if forecast.is_file():
        import json

        import pandas as pd

        from search.engine.study import final_data_of

        meta = json.loads(forecast.with_suffix(".json").read_text())
        sections.append(("Future forecast", figures.forecast_figure(final_data_of(study).frame,
                                                                    pd.read_csv(forecast), meta)))
    sections.append(("Stress test", figures.stress_figure(summary["stress"])))
    sections += figures.search_figures(study)
    body, first = [], True
    for title, item in sections:
        body.append(f"<h2>{html.escape(title)}</h2>")
        if isinstance(item, go.Figure):
            body.append(pio.to_html(item, full_html=False, include_plotlyjs=first, config={"responsive": True}))
            first = False
        else:
            body.append(f"<p class='note'>{html.escape(str(item))}</p>")
    return page(f"BitPredict Search — {summary['study']}", render_markdown(report_md), "\n".join(body))


def page(title: str, head: str, body: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:1150px;margin:2em auto;padding:0 1em;color:#222}}
table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:4px 8px;text-align:right}}
td:first-child,th:first-child{{text-align:left}}.note{{color:#777;font-style:italic}}</style></head>
<body>
{head}
{body}
</body></html>
"""


def write_study_report(study: optuna.Study, runs_dir: Path = RUNS) -> Path:
    """Write best_config.json, report.md and report.html for one retrained study; return the folder."""
    summary = read_retrain(study.study_name, runs_dir)
    out = Path(runs_dir) / "reports" / study.study_name
    report_md = markdown_report(summary)
    report_html = html_report(study, summary, report_md, runs_dir)
    write_json(out / "best_config.json", best_config(study, summary, out))
    write_text(out / "report.md", report_md)
    write_text(out / "report.html", report_html)
    return out


def ensemble_markdown(summary: dict) -> str:
    rec = summary["recommendation"]
    how = "cross-fitted: each fold forecast by the ensemble selected on the other folds" if rec["cross_fitted"] \
        else "selected on these same days (one fold), so it flatters the ensemble"
    parts = [f"# {summary['study']}: ensemble across {', '.join(summary['studies'])}", "",
             f"**{summary['verdict']}**", "", "## Members, selected greedily on the validation days", "",
             f"Greedy selection with replacement over the top {summary['top']} trials of each study, naive and the "
             f"classical baselines, at most {summary['size']} picks. Ensemble validation MAE {rec['val_rel_mae']:.4f} "
             f"× naive's ({how}; {rec['val_rel_mae_selected_on']:.4f} on the days it was selected on).", "",
             "| member | kind | weight | validation rel. MAE |", "|---|---|---|---|"]
    scores = {c["name"]: c["val_rel_mae"] for c in summary["validation"]["candidates"]}
    parts += [f"| {m['name']} | {m['kind']} | {m['weight']:.2f} | {scores[m['name']]:.4f} |" for m in summary["members"]]
    for protocol in summary["protocols"]:
        parts += ["", f"## Test split, {protocol['label']}", "",
                  f"{summary['n_test']} days, {summary['test_first_day']} .. {summary['test_last_day']}; members "
                  f"retrained with {summary['seeds']} seeds.", "", protocol_markdown(summary, protocol)]
    return "\n".join(parts) + "\n"


def write_ensemble_report(summary: dict, runs_dir: Path = RUNS) -> Path:
    out = Path(runs_dir) / "reports" / summary["study"]
    md = ensemble_markdown(summary)
    sections = []
    for protocol in summary["protocols"]:
        table = figures.steps(read_table(summary["study"], protocol["table"], runs_dir))
        if protocol is summary["protocols"][0]:
            sections.append(figures.test_period_figure(table, summary["study"]))
        sections.append(figures.cumulative_figure(table, figures.close_to_naive(protocol["rows"], keep=summary["study"]),
                                                  protocol["label"]))
    body = "\n".join(pio.to_html(f, full_html=False, include_plotlyjs=i == 0) for i, f in enumerate(sections))
    write_text(out / "report.md", md)
    write_text(out / "report.html", page(f"BitPredict Search — {summary['study']}", render_markdown(md), body))
    return out


def ensembles(runs_dir: Path = RUNS) -> list[str]:
    import json

    return sorted(p.parent.name for p in Path(runs_dir).glob("*/retrain.json")
                  if json.loads(p.read_text()).get("family") == "ensemble")


def write_all(storage, runs_dir: Path = RUNS) -> tuple[Path, list[str]]:
    """Every study's and ensemble's report that can be written, then the leaderboard; returns what
    was skipped and why."""
    summaries, skipped = [], []
    for name in optuna.get_all_study_names(storage):
        try:
            write_study_report(optuna.load_study(study_name=name, storage=storage), runs_dir)
            summaries.append(read_retrain(name, runs_dir))
        except SearchError as err:
            skipped.append(f"{name}: {err}")
    for name in ensembles(runs_dir):
        try:
            summaries.append(read_retrain(name, runs_dir))
            write_ensemble_report(summaries[-1], runs_dir)
        except SearchError as err:
            skipped.append(f"{name}: {err}")
    text = "\n".join(["# Leaderboard across studies", "",
                      "Each study's recommended forecaster and each ensemble, chosen on validation and listed in "
                      "validation order, with its test scores (static fit) beside it.", "", leaderboard_markdown(summaries)]) + "\n"
    if skipped:
        text += "\nSkipped:\n\n" + "\n".join(f"- {s}" for s in skipped) + "\n"
    out = Path(runs_dir) / "reports"
    write_text(out / "leaderboard.md", text)
    write_text(out / "index.html", page("BitPredict Search — leaderboard", render_markdown(text), ""))
    return out, skipped
