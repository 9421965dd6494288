"""What a retrain or an ensemble is asked to do, as typed options with their one set of defaults.

These import nothing heavy, so that command lines take their defaults from here before
TensorFlow loads.

Example:
    >>> RetrainOptions().seeds, [p.key for p in TestProtocols(refit_every=30).protocols()]
    (3, ['static', 'refit30-warm'])
"""

from __future__ import annotations

from dataclasses import dataclass, field

# The guard that lets a searched candidate displace a plain forecaster (search.evaluation.recommend).
RULES = ("spa", "stepm", "bonferroni", "dm", "best")
RULE = "spa"
SEEDS = 3  # seeds per retrained configuration or member: its test forecast is their mean
RETRAIN_BUDGET = 1.0  # the retrain's training cost over the search's (search.evaluation.budget)
ENSEMBLE_SIZE = 20  # most picks of greedy ensemble selection, with replacement


@dataclass(frozen=True)
class Protocol:
    """How the test days are forecast: one fit before them (``refit_every = 0``), or a refit every
    ``refit_every`` days, warm-started from the previous origin's weights or from scratch."""

    refit_every: int = 0
    warm: bool = False

    @property
    def key(self) -> str:
        return "static" if not self.refit_every else f"refit{self.refit_every}" + ("-warm" if self.warm else "")

    @property
    def label(self) -> str:
        if not self.refit_every:
            return "static fit"
        return f"refit every {self.refit_every} days ({'warm start' if self.warm else 'from scratch'})"

    def warm_epochs(self, epochs: int) -> int:
        """Epochs of a warm-started refit: a fifth of a fit from scratch, at least one."""
        return max(1, epochs // 5)


@dataclass(frozen=True)
class TestProtocols:
    """The protocols every command that scores on test uses: the static fit, and a rolling origin
    every ``refit_every`` days (0: none), warm-started from the previous origin or from scratch."""

    refit_every: int = 30
    warm: bool = True

    def protocols(self) -> list[Protocol]:
        return [Protocol()] + ([Protocol(self.refit_every, self.warm)] if self.refit_every else [])


@dataclass(frozen=True)
class RetrainOptions:
    top: int = 3  # best distinct configurations to retrain
    seeds: int = SEEDS
    protocols: TestProtocols = field(default_factory=TestProtocols)
    rule: str = RULE
    budget: float | None = RETRAIN_BUDGET  # None: retrain every one of the top configurations


@dataclass(frozen=True)
class EnsembleOptions:
    top: int = 5  # candidate trials per study
    size: int = ENSEMBLE_SIZE
    seeds: int = SEEDS
    protocols: TestProtocols = field(default_factory=TestProtocols)
