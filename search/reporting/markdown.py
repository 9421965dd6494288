"""The reports' text: Markdown a person reads (``report.md``), and the page it is rendered into.

Markdown is rendered by markdown-it-py (CommonMark with tables); tables are laid out by
:mod:`search.reporting.tables`. Nothing here recomputes a score: every number is ``retrain.json``'s.
"""

from __future__ import annotations

import html

from markdown_it import MarkdownIt

from search.evaluation import budget
from search.reporting.tables import markdown, ordered, protocol_markdown


def _candidates(summary: dict) -> list[str]:
    rows = [(c["name"], c["kind"], f"{c['val_rel_mae']:.4f}") for c in ordered(summary["validation"]["candidates"])]
    return [markdown(("candidate", "kind", "validation rel. MAE"), rows)]


def _protocols(summary: dict, members: str) -> list[str]:
    parts = []
    for protocol in summary["protocols"]:
        parts += ["", f"## Test split, {protocol['label']}", "",
                  f"{summary['n_test']} days, {summary['test_first_day']} .. {summary['test_last_day']} (target days), "
                  f"never seen by the search. {members} DM p: Diebold–Mariano against naive (absolute loss, "
                  "HLN-corrected), Holm-adjusted over the table's forecasters. In MCS: inside the "
                  f"{protocol['mcs']['level']:.0%} Model Confidence Set.", "", protocol_markdown(summary, protocol)]
    return parts


def _intervals(summary: dict) -> list[str]:
    iv = summary["intervals"]
    rows = [("conformal (normalised)", f"{lv['nominal']:.0%}", f"{lv['coverage']:.1%}",
             f"±{50 * lv['mean_relative_width']:.2f}%") for lv in iv["levels"]]
    band = summary.get("seed_band")
    if band:
        rows.append((f"seed's ±1.96σ ({band['method']})", "95%", f"{band['coverage']:.1%}", ""))
    return ["", f"## Prediction intervals of {iv['forecaster']} (coverage measured on the test split)", "",
            f"Method: {iv['method']}.", "",
            markdown(("interval", "nominal", "test coverage", "mean half-width"), rows)]


def _stress(summary: dict) -> list[str]:
    st = summary.get("stress")
    if not st:
        return []
    rows = [(label, f"{st[who]['normal']['mae']:.2f}", f"{st[who]['turkey']['mae']:.2f}",
             f"{st[who]['normal']['mase']:.4f}", f"{st[who]['turkey']['mase']:.4f}")
            for who, label in (("model", "best configuration"), ("naive", "naive"))]
    return ["", "## Stress test (the seed's turkey problem)", "",
            f"Last price ({st['last_day']}) divided by 100: {st['price']:,.2f} -> {st['turkey_price']:,.2f}.", "",
            markdown(("forecast", "MAE", "MAE with crash", "MASE", "MASE with crash"), rows)]


def markdown_report(summary: dict) -> str:
    rec = summary["recommendation"]
    parts = [f"# {summary['study']}: {summary['family']}, horizon {summary['horizon']}", "",
             f"**{summary['verdict']}**", "",
             "## Recommendation, chosen on validation only", "",
             f"Every candidate scored on the same {summary['folds']} walk-forward validation fold(s): MAE relative "
             f"to naive, pooled over every validation day. Recommended: **{rec['name']}** ({rec['why']}; rule "
             f"`{rec['rule']}`).", "", *_candidates(summary)]
    parts += _protocols(summary, "Configurations: mean forecast of their seeds.")
    left_out = budget.note(summary.get("budget", {}))  # results of earlier rounds have no budget
    parts += ["", left_out] if left_out else []
    seed = summary.get("seed_published")
    if seed:
        parts += ["", f"The seed notebook published MAE {seed['mae']:.2f} (MASE {seed['mase']:.4f}) for "
                  f"{seed['model']} on these test days, choosing its checkpoints on them: for reference only."]
    rel = summary["reliability"]
    if "spearman" in rel:
        parts += ["", "## Selection reliability", "",
                  f"Spearman rank correlation between validation and test relative MAE over the {rel['configs']} "
                  f"retrained configurations: {rel['spearman']:.2f} (p = {rel['spearman_p']:.2g})."]
    parts += _intervals(summary) + _stress(summary)
    return "\n".join(parts) + "\n"


def ensemble_markdown(summary: dict) -> str:
    rec = summary["recommendation"]
    how = "cross-fitted: each fold forecast by the ensemble selected on the other folds" if rec["cross_fitted"] \
        else "selected on these same days (one fold), so it flatters the ensemble"
    scores = {c["name"]: c["val_rel_mae"] for c in summary["validation"]["candidates"]}
    rows = [(m["name"], m["kind"], f"{m['weight']:.2f}", f"{scores[m['name']]:.4f}") for m in summary["members"]]
    parts = [f"# {summary['study']}: ensemble across {', '.join(summary['studies'])}", "",
             f"**{summary['verdict']}**", "", "## Members, selected greedily on the validation days", "",
             f"Greedy selection with replacement over the top {summary['top']} trials of each study, naive and the "
             f"classical baselines, at most {summary['size']} picks. Ensemble validation MAE {rec['val_rel_mae']:.4f} "
             f"× naive's ({how}; {rec['val_rel_mae_selected_on']:.4f} on the days it was selected on).", "",
             markdown(("member", "kind", "weight", "validation rel. MAE"), rows)]
    parts += _protocols(summary, f"Members retrained with {summary['seeds']} seeds.")
    parts += _intervals(summary)
    return "\n".join(parts) + "\n"


def render_markdown(text: str) -> str:
    return MarkdownIt("commonmark", {"html": False}).enable("table").render(text)


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
