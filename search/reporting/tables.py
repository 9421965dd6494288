"""Every table people read: one study's candidates per protocol, and the leaderboard across studies.

Rows come from ``retrain.json`` as written; nothing is recomputed. Candidates are listed in
validation order (the order the recommendation was chosen in), with test scores beside them.
Text and Markdown are laid out by ``tabulate``.
"""

from __future__ import annotations

from tabulate import tabulate

from search.results import row_of

HEAD = ("forecaster", "val rel. MAE", "test MAE", "test MASE", "rel. MAE", "DM p (Holm)", "in MCS", "against naive")


def _cells(row: dict, recommended: str) -> tuple[str, ...]:
    val = row.get("val_rel_mae")
    name = row["name"] + (" (recommended)" if row["name"] == recommended else "")
    return (name, "" if val is None else f"{val:.4f}", f"{row['mae']:.2f}", f"{row['mase']:.4f}",
            f"{row['rel_mae']:.4f}", f"{row['dm_p_holm']:.3g}", "yes" if row["in_mcs"] else "no", row["word"])


def ordered(rows: list[dict]) -> list[dict]:
    """Candidates by validation score (the ones without, such as a published figure, last)."""
    return sorted(rows, key=lambda r: (r.get("val_rel_mae") is None, r.get("val_rel_mae") or 0.0))


def protocol_rows(summary: dict, protocol: dict) -> list[tuple[str, ...]]:
    return [_cells(r, summary["recommendation"]["name"]) for r in ordered(protocol["rows"])]


def text(head, rows) -> str:
    return tabulate(rows, headers=head, tablefmt="simple", disable_numparse=True)


def markdown(head, rows) -> str:
    return tabulate(rows, headers=head, tablefmt="github", disable_numparse=True)


def format_table(summary: dict) -> str:
    """The tables printed at the end of a run, one per protocol, then the verdict."""
    lines = []
    for protocol in summary["protocols"]:
        lines += [f"test split, {protocol['label']}: {summary['n_test']} days, {summary['test_first_day']} .. "
                  f"{summary['test_last_day']}", text(HEAD, protocol_rows(summary, protocol)), ""]
    seed = summary.get("seed_published")
    if seed:
        lines.append(f"the seed notebook published MAE {seed['mae']:.2f} for {seed['model']}, choosing its "
                     "checkpoints on these test days (for reference only)")
    lines.append(summary["verdict"])
    return "\n".join(lines)


def protocol_markdown(summary: dict, protocol: dict) -> str:
    return markdown(HEAD, protocol_rows(summary, protocol))


def leaderboard_rows(summaries: list[dict]) -> list[dict]:
    """Each study's recommended forecaster, ordered by its validation score (never by test)."""
    rows = []
    for s in summaries:
        rec = s["recommendation"]
        test = row_of(s["protocols"][0], rec["name"])
        rows.append({"study": s["study"], "kind": s.get("kind", "study"), "family": s["family"],
                     "forecaster": rec["name"], "val_rel_mae": rec["val_rel_mae"], "mae": test["mae"],
                     "rel_mae": test["rel_mae"], "dm_p": test["dm_p_holm"], "word": test["word"],
                     "naive_mae": s["naive"]["mae"], "link": s.get("link", f"{s['study']}/report.html")})
    return sorted(rows, key=lambda r: r["val_rel_mae"])


LEADER_HEAD = ("study", "kind", "recommended", "val rel. MAE", "test MAE", "naive MAE", "test rel. MAE",
               "DM p (Holm)", "against naive")


def _leader_cells(r: dict, link: bool) -> tuple[str, ...]:
    study = f"[{r['study']}]({r['link']})" if link else r["study"]
    return (study, r["kind"], r["forecaster"], f"{r['val_rel_mae']:.4f}", f"{r['mae']:.2f}", f"{r['naive_mae']:.2f}",
            f"{r['rel_mae']:.4f}", f"{r['dm_p']:.3g}", r["word"])


def leaderboard_table(summaries: list[dict]) -> str:
    rows = leaderboard_rows(summaries)
    if not rows:
        return "leaderboard: no retrained study yet"
    return text(LEADER_HEAD, [_leader_cells(r, False) for r in rows])


def leaderboard_markdown(summaries: list[dict]) -> str:
    return markdown(LEADER_HEAD, [_leader_cells(r, True) for r in leaderboard_rows(summaries)])
