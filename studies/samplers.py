"""Samplers and pruners by the names study declarations (``studies/*.toml``) use.

Every trial samples from its own random stream, seeded by the study's seed and the trial's number:
processes that share a study (workers, machines, two runs started together) draw different
configurations, because the storage gives each trial its own number, and one process alone
draws the same study every time from the same seed (its trials are numbered 0, 1, 2, ...).

A trial reports its validation score by epoch (what a person reads on the dashboard, and what
TPE ranks pruned trials by), and records its ``relative_cost``: an epoch of its model in epochs of
the family's seed preset (:mod:`search.engine.cost`). The pruners decide by cost: a trial's epoch
``e`` is the resource ``e × relative_cost``, so a model 50x as expensive per epoch meets each rung
after 1/50 of the epochs.

Example:
    >>> import optuna
    >>> sampler = make_sampler("random", seed=7)
    >>> draws = []
    >>> for _ in range(2):  # two processes starting together on one study see the same history
    ...     study = optuna.create_study(sampler=make_sampler("random", seed=7))
    ...     draws.append(study.ask().suggest_float("x", 0, 1))
    >>> draws[0] == draws[1]  # alone, the same seed gives the same trial 0
    True
    >>> study.ask().suggest_float("x", 0, 1) != draws[0]  # trial 1 draws from its own stream
    True
    >>> make_pruner("sha", min_resource=500, max_resource=20000, reduction_factor=4).inner.__class__.__name__
    'SuccessiveHalvingPruner'
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable

import numpy as np
import optuna

from studies.errors import StudyError


def _tpe(seed):
    # multivariate + group is what conditional spaces need; Optuna marks both experimental.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.samplers.TPESampler(seed=seed, multivariate=True, group=True, constant_liar=True)


def _gp(seed):
    try:
        import torch  # noqa: F401
    except ImportError:
        raise StudyError("the gp sampler needs PyTorch: pip install '.[gp]'") from None
    return optuna.samplers.GPSampler(seed=seed)


SAMPLERS: dict[str, Callable[[int | None], optuna.samplers.BaseSampler]] = {
    "tpe": _tpe,
    "random": lambda seed: optuna.samplers.RandomSampler(seed=seed),
    "cmaes": lambda seed: optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False),
    "gp": _gp,
}


class PerTrialSeed(optuna.samplers.BaseSampler):
    """A sampler whose every trial draws from a stream seeded by ``(seed, trial.number)``.

    The samplers used here keep their state in the study (TPE, random, GP read its trials; CMA-ES
    stores its own in trial attributes), so a fresh one per trial loses nothing but the shared
    random stream that made concurrent processes draw alike."""

    def __init__(self, make: Callable[[int | None], optuna.samplers.BaseSampler], seed: int):
        self._make, self._seed = make, seed
        self._by_trial: dict[int, optuna.samplers.BaseSampler] = {}
        make(0)  # fail now (a missing PyTorch for gp), not at the first trial

    def _of(self, trial) -> optuna.samplers.BaseSampler:
        if trial.number not in self._by_trial:
            if len(self._by_trial) > 16:  # finished trials' samplers are not needed again
                self._by_trial.pop(min(self._by_trial))
            stream = int(np.random.SeedSequence([self._seed, trial.number]).generate_state(1)[0])
            self._by_trial[trial.number] = self._make(stream)
        return self._by_trial[trial.number]

    def before_trial(self, study, trial):
        self._of(trial).before_trial(study, trial)

    def infer_relative_search_space(self, study, trial):
        return self._of(trial).infer_relative_search_space(study, trial)

    def sample_relative(self, study, trial, search_space):
        return self._of(trial).sample_relative(study, trial, search_space)

    def sample_independent(self, study, trial, param_name, param_distribution):
        return self._of(trial).sample_independent(study, trial, param_name, param_distribution)

    def after_trial(self, study, trial, state, values):
        self._of(trial).after_trial(study, trial, state, values)

    def reseed_rng(self) -> None:
        self._seed = int(np.random.SeedSequence().generate_state(1)[0])
        self._by_trial.clear()


def make_sampler(name: str, seed: int | None) -> optuna.samplers.BaseSampler:
    if name not in SAMPLERS:
        raise StudyError(f"unknown sampler {name!r}; choose from {', '.join(SAMPLERS)}")
    return SAMPLERS[name](None) if seed is None else PerTrialSeed(SAMPLERS[name], seed)


STEPS_PER_EPOCH = 100  # a rung's resource, in hundredths of a seed-preset epoch


def cost_steps(trial) -> dict[int, float]:
    """A trial's intermediate values keyed by training cost (hundredths of a seed-preset epoch)."""
    cost = float(trial.user_attrs.get("relative_cost", 1.0))
    return {max(1, round(STEPS_PER_EPOCH * epoch * cost)): v for epoch, v in trial.intermediate_values.items()}


class CostAware(optuna.pruners.BasePruner):
    """Run ``inner`` (successive halving, Hyperband) on the trial's scores keyed by cost, not epoch."""

    def __init__(self, inner: optuna.pruners.BasePruner):
        self.inner = inner

    def prune(self, study, trial) -> bool:
        view = copy.copy(trial)
        view.intermediate_values = cost_steps(trial)
        return self.inner.prune(study, view)


class CostPercentilePruner(optuna.pruners.BasePruner):
    """Prune a trial whose score is worse than the ``percentile`` of what the other finished trials
    had scored by the same cost: each one's latest report at a cost no greater than this trial's.

    Optuna's percentile pruners compare values reported at the very same step; here trials meet
    at equal cost, which falls at different epochs for different models."""

    def __init__(self, percentile: float, *, n_startup_trials: int = 5, n_warmup_steps: int = 0):
        self.percentile, self.n_startup_trials, self.n_warmup_steps = percentile, n_startup_trials, n_warmup_steps

    def prune(self, study, trial) -> bool:
        mine = cost_steps(trial)
        if not mine or max(mine) < self.n_warmup_steps:
            return False
        step = max(mine)
        states = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
        others = [cost_steps(t) for t in study.get_trials(deepcopy=False, states=states) if t.intermediate_values]
        complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
        if len(complete) < self.n_startup_trials:
            return False
        reached = [o[max(s for s in o if s <= step)] for o in others if min(o) <= step]
        return bool(reached) and mine[step] > np.percentile(reached, self.percentile)


class PairedDayPruner(optuna.pruners.BasePruner):
    """Prune a trial whose errors on the most recent fold's days are significantly larger than the
    best complete trial's on the same days: a one-sided Wilcoxon signed-rank test on the paired
    absolute errors (``day_errors``, which the objective records at each report when a pruner
    ``wants_day_errors``), at ``threshold``, once the trial has trained ``min_epochs``.

    Evidence day by day, rather than a rank among other trials' scores at equal cost."""

    wants_day_errors = True

    def __init__(self, *, threshold: float = 0.1, min_epochs: int = 5):
        self.threshold, self.min_epochs = threshold, min_epochs

    def prune(self, study, trial) -> bool:
        from scipy import stats

        mine = trial.user_attrs.get("day_errors")
        if mine is None or trial.last_step is None or trial.last_step < self.min_epochs:
            return False
        try:
            best = study.best_trial.user_attrs.get("day_errors")
        except ValueError:  # no complete trial yet
            return False
        if best is None or len(best) != len(mine) or np.allclose(mine, best):
            return False
        return bool(stats.wilcoxon(mine, best, alternative="greater").pvalue < self.threshold)


PRUNERS = ("sha", "hyperband", "median", "paired", "none")


def make_pruner(name: str, *, min_resource: int, max_resource: int, reduction_factor: int = 4,
                rungs: str = "cost"):
    """The pruner of weak trials, its resource counted in training cost (``*_resource`` in
    hundredths of a seed-preset epoch), or, with ``rungs="epochs"``, in epochs whatever they cost.

    ``sha`` (successive halving, the default) keeps the best 1/``reduction_factor`` of the trials at
    ``min_resource``, ``min_resource * reduction_factor``, ... ``hyperband`` runs several such
    brackets from different first rungs: safer when early scores mislead, but each bracket sees
    only its share of the trials, so it prunes less in a study of tens of trials.
    """
    by_cost = CostAware if rungs == "cost" else (lambda pruner: pruner)
    if rungs == "epochs":
        min_resource, max_resource = min_resource // STEPS_PER_EPOCH, max_resource // STEPS_PER_EPOCH
    if name == "sha":
        return by_cost(optuna.pruners.SuccessiveHalvingPruner(min_resource=min_resource,
                                                              reduction_factor=reduction_factor))
    if name == "hyperband":
        return by_cost(optuna.pruners.HyperbandPruner(min_resource=min_resource, max_resource=max_resource,
                                                      reduction_factor=reduction_factor))
    if name == "median":
        if rungs == "epochs":
            return optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=2 * min_resource)
        return CostPercentilePruner(50, n_startup_trials=5, n_warmup_steps=2 * min_resource)
    if name == "paired":
        return PairedDayPruner(min_epochs=max(1, min_resource // STEPS_PER_EPOCH))
    if name == "none":
        return optuna.pruners.NopPruner()
    raise StudyError(f"unknown pruner {name!r}; choose from {', '.join(PRUNERS)}")
