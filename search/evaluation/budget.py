"""The retrain's training budget: what it trains costs no more than the search it follows.

Cost is counted as the pruners count it (:mod:`search.engine.cost`), in epochs of the family's
seed preset, times the days each model trains on: a trial's ``relative_cost`` × epochs × the days
before each fold's origin it trained; a retrained configuration's ``relative_cost`` × seeds × the
epochs of each fit × the days before its origin (the static fit, then every rolling origin, warm
refits at their shorter epochs). It comes from shapes and counts alone, so the same study gets the
same retrain on every machine.

The best configuration is always retrained. Each next one, in rank order, is retrained if the
total stays within ``budget`` × the search's cost, and left out otherwise (a cheaper one after it
may still fit): a 24M-weight N-BEATS found by a short search is tested alone rather than three
times over. The protocols, seeds and statistics stay as they are.

Example (a search that cost 1,000, and three configurations, best first):
    >>> within_budget([600.0, 600.0, 600.0], search=1000.0)
    [0]
    >>> within_budget([300.0, 800.0, 600.0], search=1000.0)
    [0, 2]
"""

from __future__ import annotations

import optuna

from search.evaluation.options import RETRAIN_BUDGET, Protocol


def _days_before(frame, day) -> int:
    return int((frame.index < day).sum())


def search_cost(study: optuna.Study, final) -> float:
    """What the study's finished trials trained: a pruned one its last fold, a complete one every fold."""
    frame, starts = final.frame, final.plan.val_starts
    fold_days = [_days_before(frame, d) for d in starts]
    total = 0.0
    for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,
                                                      optuna.trial.TrialState.PRUNED)):
        days = sum(fold_days) if t.state == optuna.trial.TrialState.COMPLETE else fold_days[-1]
        total += t.user_attrs.get("relative_cost", 1.0) * t.user_attrs.get("epochs", 0) * days
    return total


def retrain_cost(trial: optuna.trial.FrozenTrial, epochs: int, final, protocols: list[Protocol], seeds: int,
                 horizon: int) -> float:
    """What retraining ``trial``'s configuration under every protocol with ``seeds`` seeds trains."""
    frame, window = final.frame, trial.user_attrs["config"]["window"]
    total = 0.0
    for protocol in protocols:
        origins = final.origins(window=window, horizon=horizon, refit_every=protocol.refit_every)
        for k, origin in enumerate(origins):
            fit_epochs = protocol.warm_epochs(epochs) if protocol.warm and k else epochs
            total += fit_epochs * _days_before(frame, origin)
    return trial.user_attrs.get("relative_cost", 1.0) * seeds * total


def note(spent: dict) -> str | None:
    """What the budget left out, in one sentence (for the command's output and the report)."""
    if not spent.get("left_out"):
        return None
    left = ", ".join(f"trial {x['trial']} ({x['cost'] / spent['search_cost']:.2f}x)" for x in spent["left_out"])
    return (f"Not retrained, to keep the retrain's training cost within {spent['budget']}x the search's "
            f"(it spent {spent['retrain_cost'] / spent['search_cost']:.2f}x): {left}; a larger budget retrains them.")


def within_budget(costs: list[float], *, search: float, budget: float | None = RETRAIN_BUDGET) -> list[int]:
    """Which configurations (best first) to retrain: the first, then each next one that keeps the total
    within ``budget`` × ``search`` (``None``: all of them)."""
    if budget is None:
        return list(range(len(costs)))
    kept, spent = [], 0.0
    for k, cost in enumerate(costs):
        if not kept or spent + cost <= budget * search:
            kept.append(k)
            spent += cost
    return kept
