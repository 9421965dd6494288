"""Reports people open: best configuration, leaderboard, and one self-contained HTML page.

    python -m search.report --study dense-btc-h1
    python -m search.report --all

Writes under ``runs/reports/<study>/``: ``best_config.json`` (retrains with
``python -m search.retrain --config``), ``report.md`` and ``report.html`` (plotly embedded, works
offline). ``--all`` adds ``runs/reports/index.html`` and ``leaderboard.md`` across every study.
Reports read what retraining wrote; they recompute nothing.
"""

from __future__ import annotations

import argparse
import html
import json
import platform
import sys
from importlib import metadata
from pathlib import Path

import optuna
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from search import cli
from search.forecast import read_retrain
from search.leaderboard import leaderboard_rows
from search.storage import RUNS, open_storage
from search.study import load_existing

PACKAGES = ("tensorflow", "keras", "optuna", "keras-tuner", "numpy", "pandas", "plotly")
METRIC_NAMES = {"mae": "MAE", "mse": "MSE", "rmse": "RMSE", "mape": "MAPE %", "mase": "MASE",
                "mase_insample": "MASE (in-sample)"}


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def best_config(study: optuna.Study, summary: dict, report_dir: Path) -> dict:
    best = summary["retrained"][0]
    attrs = study.user_attrs
    final_days = summary["split"]
    return {
        "study": study.study_name, "family": summary["family"], "horizon": summary["horizon"],
        "trial": best["trial"], "config": best["config"], "epochs": best["epochs"],
        "seeds": [s["seed"] for s in best["seeds"]],
        "dataset": {**attrs["data"], "name": attrs["dataset"], "sha256": attrs["sha256"]},
        "split": {**final_days, "test_days": summary["n_test"], "test_first_day": summary["test_first_day"],
                  "test_last_day": summary["test_last_day"]},
        "validation": {"mase": best["val_mase"]},
        "test": {"mean": best["mean"], "std": best["std"], "seed_mean_forecast": best["seed_mean_forecast"],
                 "rel_mae": best["rel_mae"], "dm_p": best["dm_p"], "beats_naive": best["beats_naive"]},
        "naive": summary["naive"], "verdict": summary["verdict"], "versions": versions(),
        "retrain_command": f"python -m search.retrain --config {report_dir / 'best_config.json'}",
    }


def leaderboard_markdown(summary: dict) -> str:
    n = summary["naive"]
    lines = ["| model | test MAE | test MASE | MASE (in-sample) | rel. MAE vs naive | DM p | val MASE |",
             "|---|---|---|---|---|---|---|",
             f"| naive (same test days) | {n['mae']:.2f} | {n['mase']:.4f} | {n['mase_insample']:.3f} | 1.0000 | | |"]
    seed = summary.get("seed_published")
    if seed:
        lines.append(f"| {seed['model']} (published, chosen on test) | {seed['mae']:.2f} | {seed['mase']:.4f} | | | | |")
    for r in summary["retrained"]:
        m, s = r["mean"], r["std"]
        name = f"#{r['rank']} trial {r['trial']}" + (f" ({r['preset']})" if r.get("preset") else "")
        lines.append(f"| {name} | {m['mae']:.2f} ± {s['mae']:.2f} | {m['mase']:.4f} ± {s['mase']:.4f} | "
                     f"{m['mase_insample']:.3f} | {r['rel_mae']:.4f} | {r['dm_p']:.3g} | {r['val_mase']:.4f} |")
    return "\n".join(lines)


def markdown_report(summary: dict) -> str:
    parts = [f"# {summary['study']}: {summary['family']}, horizon {summary['horizon']}", "",
             f"**{summary['verdict']}**", "",
             f"Test split: {summary['n_test']} days, {summary['test_first_day']} .. {summary['test_last_day']} "
             "(never seen by the search). Retrained on train + validation; mean ± std over seeds; "
             "relative MAE and Diebold–Mariano p-value (absolute loss, HLN-corrected) of the seed-mean forecast.",
             "", leaderboard_markdown(summary)]
    iv = summary.get("intervals")
    if iv:
        parts += ["", "## Prediction intervals (coverage measured on the test split)", "",
                  "| interval | nominal | test coverage |", "|---|---|---|"]
        parts += [f"| conformal | {lv['nominal']:.0%} | {lv['coverage']:.1%} |" for lv in iv["levels"]]
        sb = iv["seed_band"]
        parts.append(f"| seed's ±1.96σ ({sb['method']}) | 95% | {sb['coverage']:.1%} |")
    st = summary.get("stress")
    if st:
        parts += ["", "## Stress test (the seed's turkey problem)", "",
                  f"Last price ({st['last_day']}) divided by 100: {st['price']:,.2f} -> {st['turkey_price']:,.2f}.", "",
                  "| forecast | MAE | MAE with crash | MASE | MASE with crash |", "|---|---|---|---|---|"]
        for who in ("model", "naive"):
            a, b = st[who]["normal"], st[who]["turkey"]
            parts.append(f"| {who} | {a['mae']:.2f} | {b['mae']:.2f} | {a['mase']:.4f} | {b['mase']:.4f} |")
    return "\n".join(parts) + "\n"


# ---- figures -------------------------------------------------------------------------------

def _layout(fig: go.Figure, title: str, x: str, y: str) -> go.Figure:
    fig.update_layout(title=title, xaxis_title=x, yaxis_title=y, template="plotly_white", height=460,
                      legend={"orientation": "h", "y": -0.2})
    return fig


def test_period_figure(pred: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    for col, name, style in (("actual", "actual close", {"color": "black"}),
                             ("naive", "naive (yesterday's close)", {"color": "gray", "dash": "dot"}),
                             ("forecast", "best model (seed mean)", {"color": "crimson"})):
        fig.add_scatter(x=pred["date"], y=pred[col], name=name, line=style)
    fig.update_xaxes(rangeslider_visible=True)
    return _layout(fig, "Test period: actual vs naive vs best model", "date", "price (USD)")


def residual_figure(pred: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    fig.add_scatter(x=pred["date"], y=pred["forecast"] - pred["actual"], name="best model error", mode="lines")
    fig.add_scatter(x=pred["date"], y=pred["naive"] - pred["actual"], name="naive error", mode="lines",
                    line={"dash": "dot"}, opacity=0.7)
    return _layout(fig, "Forecast errors on the test period (forecast − actual)", "date", "error (USD)")


def interval_figure(iv: pd.DataFrame, info: dict) -> go.Figure:
    fig = go.Figure()
    cov = {int(round(lv["nominal"] * 100)): lv["coverage"] for lv in info["levels"]}
    for pct, alpha in ((95, 0.15), (80, 0.3)):
        if f"lo{pct}" not in iv:
            continue
        fig.add_scatter(x=iv["date"], y=iv[f"hi{pct}"], line={"width": 0}, showlegend=False, hoverinfo="skip")
        fig.add_scatter(x=iv["date"], y=iv[f"lo{pct}"], line={"width": 0}, fill="tonexty",
                        fillcolor=f"rgba(220,20,60,{alpha})", name=f"conformal {pct}% (test coverage {cov[pct]:.1%})")
    sb = info["seed_band"]
    for col in ("seed_lo95", "seed_hi95"):
        fig.add_scatter(x=iv["date"], y=iv[col], line={"color": "royalblue", "dash": "dash", "width": 1},
                        name=f"seed's ±1.96σ (test coverage {sb['coverage']:.1%})", showlegend=col == "seed_lo95")
    fig.add_scatter(x=iv["date"], y=iv["actual"], name="actual close", line={"color": "black", "width": 1})
    fig.update_xaxes(rangeslider_visible=True)
    return _layout(fig, "Prediction intervals: nominal level vs coverage measured on the test split",
                   "date", "price (USD)")


def forecast_figure(frame: pd.DataFrame, fc: pd.DataFrame, meta: dict) -> go.Figure:
    recent = frame["target"].iloc[-90:]
    fig = go.Figure()
    fig.add_scatter(x=recent.index.date, y=recent.to_numpy(), name="actual close (last 90 days)",
                    line={"color": "black"})
    for pct, alpha in (("95", 0.15), ("80", 0.3)):
        if f"lo{pct}" in fc:
            fig.add_scatter(x=fc["date"], y=fc[f"hi{pct}"], line={"width": 0}, showlegend=False, hoverinfo="skip")
            fig.add_scatter(x=fc["date"], y=fc[f"lo{pct}"], line={"width": 0}, fill="tonexty",
                            fillcolor=f"rgba(220,20,60,{alpha})", name=f"{pct}% band")
    fig.add_scatter(x=fc["date"], y=fc["forecast"], name=f"forecast ({meta['method']})",
                    line={"color": "crimson"}, mode="lines+markers")
    return _layout(fig, f"Forecast of the {meta['days']} days after {meta['last_day']} (trial {meta['trial']})",
                   "date", "price (USD)")


def stress_figure(st: dict) -> go.Figure:
    fig = go.Figure()
    for case, label in (("normal", "as recorded"), ("turkey", "last price ÷ 100")):
        fig.add_bar(x=["best model", "naive"], y=[st["model"][case]["mae"], st["naive"][case]["mae"]], name=label)
    fig.update_layout(barmode="group")
    return _layout(fig, f"Stress test: test MAE when the last price ({st['last_day']}) crashes 99%",
                   "forecast", "test MAE (USD)")


def _search_figures(study: optuna.Study) -> list[tuple[str, object]]:
    vis = optuna.visualization
    target = {"target_name": "validation MASE"}
    out = []
    for title, make in (
        ("Optimisation history", lambda: vis.plot_optimization_history(study, **target)),
        ("Hyperparameter importances (fANOVA)", lambda: vis.plot_param_importances(study, **target)),
        ("Parallel coordinates", lambda: vis.plot_parallel_coordinate(study, **target)),
        ("Intermediate values: validation MASE per epoch (what pruning cut)",
         lambda: vis.plot_intermediate_values(study)),
    ):
        try:
            fig = make()
            fig.update_layout(template="plotly_white", height=460)
            if "Parallel" not in title and "importances" not in title:
                fig.update_yaxes(type="log")  # one diverged trial (MASE 20) would flatten the rest
            out.append((title, fig))
        except Exception as err:  # too few trials for a plot: say so instead of failing the report
            out.append((title, f"not available: {err}"))
    return out


def html_report(study: optuna.Study, summary: dict, run_dir: Path, report_md: str) -> str:
    sections: list[tuple[str, object]] = []
    best = summary["retrained"][0]
    pred = pd.read_csv(run_dir / best["predictions"])
    pred = pred[pred["step"] == 1]
    sections.append(("Test period", test_period_figure(pred)))
    sections.append(("Residuals", residual_figure(pred)))
    if summary.get("intervals"):
        iv = pd.read_csv(run_dir / summary["intervals"]["csv"])
        sections.append(("Prediction intervals", interval_figure(iv[iv["step"] == 1], summary["intervals"])))
    fc_path = run_dir / "forecast.csv"
    if fc_path.is_file():
        from search.study import final_data_of

        meta = json.loads(fc_path.with_suffix(".json").read_text())
        sections.append(("Future forecast", forecast_figure(final_data_of(study).frame, pd.read_csv(fc_path), meta)))
    if summary.get("stress"):
        sections.append(("Stress test", stress_figure(summary["stress"])))
    sections += _search_figures(study)
    body, first = [], True
    for title, item in sections:
        body.append(f"<h2>{html.escape(title)}</h2>")
        if isinstance(item, go.Figure):
            body.append(pio.to_html(item, full_html=False, include_plotlyjs=first, config={"responsive": True}))
            first = False
        else:
            body.append(f"<p class='note'>{html.escape(str(item))}</p>")
    if first:  # no figure at all: still embed plotly so that the page stands alone
        body.insert(0, pio.to_html(go.Figure(), full_html=False, include_plotlyjs=True))
    return _page(f"BitPredict Search — {summary['study']}", _markdown_table_html(report_md), "\n".join(body))


def _markdown_table_html(md: str) -> str:
    """The markdown report as simple HTML (tables and paragraphs), to keep one source of truth."""
    out, table = [], []
    for line in md.splitlines() + [""]:
        if line.startswith("|"):
            if set(line.replace("|", "").strip()) <= {"-"}:
                continue
            cells = [html.escape(c.strip()) for c in line.strip("|").split("|")]
            tag = "th" if not table else "td"
            table.append("<tr>" + "".join(f"<{tag}>{c}</{tag}>" for c in cells) + "</tr>")
            continue
        if table:
            out.append("<table>" + "".join(table) + "</table>")
            table = []
        if line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            out.append(f"<h{level}>{html.escape(line.lstrip('# '))}</h{level}>")
        elif line.strip():
            text = html.escape(line).replace("**", "")
            out.append(f"<p>{text}</p>")
    return "\n".join(out)


def _page(title: str, head: str, body: str) -> str:
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
    if not summary["retrained"]:
        raise cli.UsageError(f"study {study.study_name!r} has no retrained configuration to report")
    out = runs_dir / "reports" / study.study_name
    out.mkdir(parents=True, exist_ok=True)
    files = {"best_config.json": json.dumps(best_config(study, summary, out), indent=2) + "\n",
             "report.md": markdown_report(summary)}
    files["report.html"] = html_report(study, summary, runs_dir / study.study_name, files["report.md"])
    for name, text in files.items():  # write all or nothing visible: temp files, then rename
        (out / f".{name}.tmp").write_text(text)
    for name in files:
        (out / f".{name}.tmp").replace(out / name)
    return out


def write_all(storage_url: str | None, runs_dir: Path = RUNS) -> Path:
    storage = open_storage(storage_url)
    summaries = []
    for name in optuna.get_all_study_names(storage):
        if (runs_dir / name / "retrain.json").is_file():
            write_study_report(optuna.load_study(study_name=name, storage=storage), runs_dir)
            summaries.append(read_retrain(name, runs_dir))
    rows = leaderboard_rows(summaries)
    md = ["# Leaderboard across studies", "",
          "Each study's best configuration by validation MASE, retrained and scored on its test split.", "",
          "| study | family | trial | test MAE | naive MAE | rel. MAE | DM p | verdict |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        word = "beats naive" if r["beats_naive"] else ("not significant" if r["rel_mae"] < 1 else "worse than naive")
        md.append(f"| [{r['study']}]({r['study']}/report.html) | {r['family']} | {r['trial']} | {r['mae']:.2f} | "
                  f"{r['naive_mae']:.2f} | {r['rel_mae']:.4f} | {r['dm_p']:.3g} | {word} |")
    text = "\n".join(md) + "\n"
    out = runs_dir / "reports"
    out.mkdir(parents=True, exist_ok=True)
    (out / "leaderboard.md").write_text(text)
    links = "".join(f"<li><a href='{r['study']}/report.html'>{html.escape(r['study'])}</a></li>" for r in rows)
    (out / "index.html").write_text(_page("BitPredict Search — leaderboard", _markdown_table_html(text),
                                          f"<ul>{links}</ul>"))
    return out


@cli.main_guard
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m search.report", description=__doc__.split("\n")[0])
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--study", help="write the report of one study")
    which.add_argument("--all", action="store_true", help="every study in the storage, plus a leaderboard")
    parser.add_argument("--storage", help="storage URL (default: sqlite:///runs/optuna.db)")
    args = parser.parse_args(argv)
    cli.quiet_tensorflow()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if args.all:
        print(f"written: {write_all(args.storage)}")
    else:
        print(f"written: {write_study_report(load_existing(args.study, args.storage))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
