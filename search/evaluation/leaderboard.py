"""One table across families: each study's best retrained configuration against naive."""

from __future__ import annotations


def best_row(summary: dict) -> dict | None:
    if not summary.get("retrained"):
        return None
    best = summary["retrained"][0]  # rank 1 by validation MASE, never chosen on test
    return {"study": summary["study"], "family": summary["family"], "trial": best["trial"],
            "mae": best["seed_mean_forecast"]["mae"], "mase": best["seed_mean_forecast"]["mase"],
            "rel_mae": best["rel_mae"], "dm_p": best["dm_p"], "beats_naive": best["beats_naive"],
            "naive_mae": summary["naive"]["mae"], "seed_mae": (summary.get("seed_published") or {}).get("mae")}


def leaderboard_rows(summaries: list[dict]) -> list[dict]:
    rows = [r for r in map(best_row, summaries) if r]
    return sorted(rows, key=lambda r: r["rel_mae"])


def leaderboard_table(summaries: list[dict]) -> str:
    rows = leaderboard_rows(summaries)
    if not rows:
        return "leaderboard: no retrained configuration yet"
    lines = [f"{'study':28s} {'trial':>5s} {'test MAE':>9s} {'naive MAE':>9s} {'rel. MAE':>8s} {'DM p':>7s}  verdict"]
    for r in rows:
        word = "beats naive" if r["beats_naive"] else ("not significant" if r["rel_mae"] < 1 else "worse than naive")
        lines.append(f"{r['study']:28s} {r['trial']:5d} {r['mae']:9.2f} {r['naive_mae']:9.2f} "
                     f"{r['rel_mae']:8.4f} {r['dm_p']:7.3g}  {word}")
    return "\n".join(lines)
