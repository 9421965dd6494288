"""What the bench's parts share: progress lines, RSS, the search data, and study runs."""

from __future__ import annotations

import sys


def progress(text: str) -> None:
    """A line of progress on a terminal; nothing through a pipe (stdout holds the results)."""
    if sys.stderr.isatty():
        print(text, file=sys.stderr, flush=True)


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def search_data(data: str, folds: int = 1, until: str | None = None):
    from data import DataSpec

    return DataSpec(data=data, folds=folds, until=until).final_data(1).search()


def objective_study(search, family, epochs, *, pruner=None, trials=None, timeout=None, seed=0, folds=None,
                    sampler=None):
    """An in-memory study of ``family`` as its declaration runs it (options override the declaration)."""
    import optuna

    from search.engine.cost import STEPS_PER_EPOCH
    from search.engine.objective import TRIAL_FAILURES, Objective
    from studies import load_study_spec
    from studies.samplers import make_pruner, make_sampler

    spec = load_study_spec(family, epochs=epochs, pruner=pruner, folds=folds or search.plan.folds, sampler=sampler)
    study = optuna.create_study(sampler=make_sampler(spec.sampler, seed), pruner=make_pruner(
        spec.pruner, min_resource=STEPS_PER_EPOCH * spec.eval_every, max_resource=STEPS_PER_EPOCH * spec.epochs,
        reduction_factor=spec.reduction_factor, rungs=spec.rungs))
    study.optimize(Objective(spec, search, seed=seed), n_trials=trials, timeout=timeout, catch=TRIAL_FAILURES)
    return study


def epochs_of(study) -> int:
    return sum(t.user_attrs.get("epochs", 0) for t in study.trials)
