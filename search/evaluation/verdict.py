"""The words every table and report uses for a forecaster against naive, written once.

A gain counts only when Diebold–Mariano rejects equal accuracy at ``SIGNIFICANCE`` (on test, with
the p-value adjusted for the table's many comparisons); a result that does not beat naive says so.

Example:
    >>> word(rel_mae=0.99, dm_p=0.4)
    'not significant'
    >>> word(rel_mae=1.01, dm_p=0.001)
    'significantly worse than naive'
    >>> word(rel_mae=1.0, dm_p=1.0)
    'same as naive'
"""

from __future__ import annotations

SIGNIFICANCE = 0.05


def beats_naive(rel_mae: float, dm_p: float) -> bool:
    return rel_mae < 1 and dm_p < SIGNIFICANCE


def word(*, rel_mae: float, dm_p: float) -> str:
    if rel_mae == 1:
        return "same as naive"
    if dm_p < SIGNIFICANCE:
        return "beats naive" if rel_mae < 1 else "significantly worse than naive"
    return "not significant" if rel_mae < 1 else "worse than naive, not significant"


def sentence(who: str, *, rel_mae: float, dm_p: float) -> str:
    """One plain sentence on ``who`` against naive over the test days."""
    gap = 100 * (rel_mae - 1)
    p = f"Diebold–Mariano p = {dm_p:.3g}"
    if rel_mae == 1:
        return f"{who} forecasts exactly as naive does."
    if dm_p < SIGNIFICANCE:
        if rel_mae < 1:
            return f"{who} beats the naive forecast significantly: MAE {-gap:.2f}% lower ({p})."
        return f"{who} is significantly worse than naive: MAE {gap:.2f}% higher ({p})."
    if gap < 0:
        return f"{who} is {-gap:.2f}% better than naive on MAE, but not significantly ({p}): no real gain."
    return f"{who} does not beat the naive forecast: MAE {gap:.2f}% higher ({p})."


def summary_sentence(summary: dict, who: str, *, lead: str) -> str:
    """``lead``, then what the recommendation (named ``who``) did on the test days under each protocol."""
    from search.results import row_of

    rec = summary["recommendation"]
    parts = [lead]
    for protocol in summary["protocols"]:
        row = row_of(protocol, rec["name"])
        mcs = protocol["mcs"]
        where = ", ".join(mcs["members"]) if len(mcs["members"]) <= 6 else f"{len(mcs['members'])} forecasters"
        parts.append(f"{protocol['label'].capitalize()}: " + sentence(who, rel_mae=row["rel_mae"],
                                                                       dm_p=row["dm_p_holm"]).rstrip(".")
                     + f"; {'inside' if row['in_mcs'] else 'outside'} the {mcs['level']:.0%} Model Confidence Set"
                     f" ({where}).")
    return " ".join(parts)
