"""The report's plotly figures, each drawn from a table that retraining wrote."""

from __future__ import annotations

import warnings

import optuna
import pandas as pd
import plotly.graph_objects as go

NAIVE_STYLE = {"color": "gray", "dash": "dot"}


def _bands() -> list[tuple[int, float]]:
    """The interval levels as percentages, widest first (drawn lightest), each with its opacity."""
    from search.evaluation.intervals import LEVELS

    return [(int(round(100 * level)), 0.15 + 0.15 * i) for i, level in enumerate(sorted(LEVELS, reverse=True))]


def _layout(fig: go.Figure, title: str, x: str, y: str) -> go.Figure:
    fig.update_layout(title=title, xaxis_title=x, yaxis_title=y, template="plotly_white", height=460,
                      legend={"orientation": "h", "y": -0.2})
    return fig


def test_period_figure(table: pd.DataFrame, name: str) -> go.Figure:
    fig = go.Figure()
    for col, label, style in (("actual", "actual close", {"color": "black"}),
                              ("naive", "naive (yesterday's close)", NAIVE_STYLE),
                              (name, f"{name} (recommended)", {"color": "crimson"})):
        fig.add_scatter(x=table["date"], y=table[col], name=label, line=style)
    fig.update_xaxes(rangeslider_visible=True)
    return _layout(fig, "Test period: actual vs naive vs the recommended forecaster", "date", "price (USD)")


def close_to_naive(rows: list[dict], keep: str, within: float = 0.05) -> list[str]:
    """The forecasters worth drawing against naive: within ``within`` of its MAE, and ``keep``."""
    return [r["name"] for r in rows if r["name"] != "naive" and (r["rel_mae"] <= 1 + within or r["name"] == keep)]


def cumulative_figure(table: pd.DataFrame, names: list[str], label: str) -> go.Figure:
    """Running sum of |model error| − |naive error|: falls while a model gains on the random walk."""
    fig = go.Figure()
    naive_error = (table["naive"] - table["actual"]).abs()
    for name in names:
        gain = ((table[name] - table["actual"]).abs() - naive_error).cumsum()
        fig.add_scatter(x=table["date"], y=gain, name=name, mode="lines")
    fig.add_hline(y=0, line=NAIVE_STYLE)
    return _layout(fig, f"Cumulative absolute error minus naive's ({label}; forecasters within 5% of naive): "
                   "below zero = ahead of naive", "date", "USD")


def reliability_figure(summary: dict) -> go.Figure:
    """Validation vs test relative MAE of every candidate: does the validation order survive?"""
    static = summary["protocols"][0]["rows"]
    fig = go.Figure()
    for kind, color in (("config", "crimson"), ("shrink", "darkorange"), ("classical", "royalblue"),
                        ("naive", "gray")):
        rows = [r for r in static if r.get("kind") == kind]
        if rows:
            fig.add_scatter(x=[r["val_rel_mae"] for r in rows], y=[r["rel_mae"] for r in rows], mode="markers+text",
                            text=[r["name"] for r in rows], textposition="top center", name=kind,
                            marker={"color": color, "size": 10})
    fig.add_hline(y=1, line=NAIVE_STYLE)
    fig.add_vline(x=1, line=NAIVE_STYLE)
    # Diverged configurations (rel. MAE 20) would squeeze the rest into a corner: zoom near naive.
    values = [v for r in static if r.get("val_rel_mae") is not None for v in (r["val_rel_mae"], r["rel_mae"])]
    low, high = min(0.95, *values), min(1.2, max(1.05, *values))
    fig.update_xaxes(range=[low, high])
    fig.update_yaxes(range=[low, high])
    rel = summary["reliability"]
    rho = f"; Spearman ρ over configurations {rel['spearman']:.2f}" if "spearman" in rel else ""
    return _layout(fig, f"Validation vs test (static fit), relative MAE{rho}", "validation rel. MAE",
                   "test rel. MAE")


def interval_figure(iv: pd.DataFrame, info: dict) -> go.Figure:
    fig = go.Figure()
    cov = {int(round(lv["nominal"] * 100)): lv["coverage"] for lv in info["levels"]}
    for pct, alpha in _bands():
        fig.add_scatter(x=iv["date"], y=iv[f"hi{pct}"], line={"width": 0}, showlegend=False, hoverinfo="skip")
        fig.add_scatter(x=iv["date"], y=iv[f"lo{pct}"], line={"width": 0}, fill="tonexty",
                        fillcolor=f"rgba(220,20,60,{alpha})", name=f"conformal {pct}% (test coverage {cov[pct]:.1%})")
    fig.add_scatter(x=iv["date"], y=iv["actual"], name="actual close", line={"color": "black", "width": 1})
    fig.update_xaxes(rangeslider_visible=True)
    return _layout(fig, f"Prediction intervals of {info['forecaster']}: nominal level vs coverage measured on test",
                   "date", "price (USD)")


def forecast_figure(frame: pd.DataFrame, fc: pd.DataFrame, meta: dict) -> go.Figure:
    recent = frame["target"].iloc[-90:]
    fig = go.Figure()
    fig.add_scatter(x=recent.index, y=recent.to_numpy(), name="actual close (last 90 days)", line={"color": "black"})
    for pct, alpha in _bands():
        if f"lo{pct}" in fc:
            fig.add_scatter(x=fc["date"], y=fc[f"hi{pct}"], line={"width": 0}, showlegend=False, hoverinfo="skip")
            fig.add_scatter(x=fc["date"], y=fc[f"lo{pct}"], line={"width": 0}, fill="tonexty",
                            fillcolor=f"rgba(220,20,60,{alpha})", name=f"{pct}% band")
    fig.add_scatter(x=fc["date"], y=fc["forecast"], name=f"forecast ({meta['method']})", line={"color": "crimson"},
                    mode="lines+markers")
    return _layout(fig, f"Forecast of the {meta['days']} days after {meta['last_day']} ({meta['forecaster']})",
                   "date", "price (USD)")


def stress_figure(st: dict) -> go.Figure:
    fig = go.Figure()
    for case, label in (("normal", "as recorded"), ("turkey", "last price ÷ 100")):
        fig.add_bar(x=["best configuration", "naive"], y=[st["model"][case]["mae"], st["naive"][case]["mae"]],
                    name=label)
    fig.update_layout(barmode="group")
    return _layout(fig, f"Stress test: test MAE when the last price ({st['last_day']}) crashes 99%",
                   "forecast", "test MAE (USD)")


def progress_figure(study: optuna.Study) -> go.Figure | str:
    """The best validation score against trials with its noise band, and where the search stopped."""
    progress = study.user_attrs.get("progress")
    if not progress:
        return "no record of the search's progress (a study searched before it was kept, or with --no-stop)"
    last = max(t.number for t in study.get_trials(deepcopy=False))
    trials, best, noise = (list(c) for c in zip(*progress, strict=True))
    trials, best, noise = trials + [last], best + best[-1:], noise + noise[-1:]
    fig = go.Figure()
    hi, lo = [b + s for b, s in zip(best, noise, strict=True)], [b - s for b, s in zip(best, noise, strict=True)]
    fig.add_scatter(x=trials, y=hi, line={"width": 0, "shape": "hv"}, showlegend=False, hoverinfo="skip")
    fig.add_scatter(x=trials, y=lo, line={"width": 0, "shape": "hv"}, fill="tonexty", fillcolor="rgba(220,20,60,0.2)",
                    name="± its noise (block bootstrap of the validation days)")
    fig.add_scatter(x=trials, y=best, line={"color": "crimson", "shape": "hv"}, name="best complete trial")
    stopped = study.user_attrs.get("stopped")
    if stopped:
        fig.add_vline(x=stopped["trial"], line={"color": "black", "dash": "dash"})
        fig.add_annotation(x=stopped["trial"], y=max(hi), text="stopped: the answer was settled", showarrow=False,
                           yanchor="bottom")
    return _layout(fig, "The best validation score and its noise, trial by trial", "trial", "validation rel. MAE")


def search_figures(study: optuna.Study) -> list[tuple[str, object]]:
    """Optuna's own plots of the search; plots that need more trials say so instead."""
    from optuna.importance import PedAnovaImportanceEvaluator

    vis = optuna.visualization
    target = {"target_name": "validation rel. MAE"}
    done = len(study.get_trials(deepcopy=False, states=[optuna.trial.TrialState.COMPLETE]))
    figs: list[tuple[str, object]] = [("Optimisation history", vis.plot_optimization_history(study, **target)),
                                      ("The best score, its noise, and where the search stopped", progress_figure(study))]
    if done >= 2:
        with warnings.catch_warnings():  # "some regimes have less than 2 trials": the figure's own caveat
            warnings.filterwarnings("ignore", message="Some regimes for parameter", category=UserWarning)
            importances = vis.plot_param_importances(study, evaluator=PedAnovaImportanceEvaluator(), **target)
        figs.append(("Hyperparameter importances (PED-ANOVA, Optuna's default evaluator; rough with few trials)",
                     importances))
        figs.append(("Parallel coordinates", vis.plot_parallel_coordinate(study, **target)))
    else:
        figs.append(("Hyperparameter importances", f"needs at least 2 completed trials; this study has {done}"))
    figs.append(("Intermediate values: the most recent fold's validation score per epoch (what the pruner weighed, by cost)",
                 vis.plot_intermediate_values(study)))
    for title, fig in figs:
        if isinstance(fig, go.Figure):
            fig.update_layout(template="plotly_white", height=460)
            if title.startswith(("Optimisation", "Intermediate")):
                fig.update_yaxes(type="log")  # one diverged trial (score 20) would flatten the rest
    return figs


def steps(table: pd.DataFrame, step: int = 1) -> pd.DataFrame:
    return table[table["step"] == step] if "step" in table else table

