"""Samplers and pruners by name, as the study declarations (``studies/*.toml``) spell them.

The pruner's resource is the epoch, as the trainer reports it: every ``eval_every`` epochs a trial
reports the pooled validation score of its walk-forward folds so far.

Example:
    >>> make_pruner("sha", min_epochs=5, max_epochs=200, reduction_factor=4).__class__.__name__
    'SuccessiveHalvingPruner'
"""

from __future__ import annotations

import warnings

import optuna

from search.errors import SearchError


def make_sampler(name: str, seed: int | None):
    if name == "tpe":
        # multivariate + group is what conditional spaces need; Optuna marks both experimental.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return optuna.samplers.TPESampler(seed=seed, multivariate=True, group=True, constant_liar=True)
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if name == "cmaes":
        return optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False)
    if name == "gp":
        try:
            import torch  # noqa: F401
        except ImportError:
            raise SearchError("the gp sampler needs PyTorch: pip install '.[gp]'") from None
        return optuna.samplers.GPSampler(seed=seed)
    raise SearchError(f"unknown sampler {name!r}")


def make_pruner(name: str, *, min_epochs: int, max_epochs: int, reduction_factor: int = 4):
    """The pruner of weak trials.

    ``sha`` (successive halving, the default) keeps the best 1/``reduction_factor`` of the trials at
    ``min_epochs``, ``min_epochs * reduction_factor``, ... epochs. ``hyperband`` runs several such
    brackets from different first rungs: safer when early epochs mislead, but each bracket sees
    only its share of the trials, so it prunes less in a study of tens of trials.
    """
    if name == "sha":
        return optuna.pruners.SuccessiveHalvingPruner(min_resource=min_epochs, reduction_factor=reduction_factor)
    if name == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=min_epochs, max_resource=max_epochs,
                                              reduction_factor=reduction_factor)
    if name == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=2 * min_epochs)
    if name == "none":
        return optuna.pruners.NopPruner()
    raise SearchError(f"unknown pruner {name!r}")
