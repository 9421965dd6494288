"""Study declarations: how each family's space is searched.

:class:`StudySpec` holds the one set of defaults; ``studies/<family>.toml`` holds only what that
family's study changes (the LSTM study validates more often and trains fewer epochs, say).
Command-line flags override both.

Example:
    >>> from studies import load_study_spec
    >>> spec = load_study_spec("lstm", trials=10)
    >>> spec.family, spec.trials, spec.pruner, spec.folds
    ('lstm', 10, 'sha', 3)
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, fields, replace
from pathlib import Path

from studies.errors import StudyError
from studies.samplers import PRUNERS, SAMPLERS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

HERE = Path(__file__).parent
PATHS = [HERE]  # folders searched for <family>.toml, in order

__all__ = ["PATHS", "PRUNERS", "SAMPLERS", "StudyError", "StudySpec", "families", "load_study_spec"]


@dataclass(frozen=True)
class StudySpec:
    """A family's search. The objective, pooled validation MAE relative to naive, is minimised."""

    family: str
    sampler: str = "tpe"  # tpe | random | cmaes | gp
    pruner: str = "sha"  # sha (successive halving) | hyperband | median | none
    reduction_factor: int = 4  # the pruner keeps the best 1/4 of the trials at each rung
    trials: int = 50  # trials per run
    epochs: int = 200  # epoch cap per trial
    patience: int = 20  # early stopping on validation MASE, in epochs
    eval_every: int = 5  # epochs per compiled chunk: validation, pruning and early stopping run between chunks
    horizon: int = 1
    folds: int = 3  # walk-forward validation: blocks of --val-size days, each trained on all days before it
    rungs: str = "cost"  # the pruner's resource: training cost (epochs x cost per epoch), or plain epochs
    # Without a GPU, a configuration over this many forward multiply-adds per window (search.engine.cost)
    # is pruned before it trains: a space or preset sized for a GPU would otherwise take hours a trial.
    cpu_max_macs: float = math.inf

    def __post_init__(self):
        if self.rungs not in ("cost", "epochs"):
            raise ValueError(f"rungs must be 'cost' or 'epochs', got {self.rungs!r}")
        if self.sampler not in SAMPLERS:
            raise ValueError(f"unknown sampler {self.sampler!r}; choose from {', '.join(SAMPLERS)}")
        if self.pruner not in PRUNERS:
            raise ValueError(f"unknown pruner {self.pruner!r}; choose from {', '.join(PRUNERS)}")
        if self.reduction_factor < 2:
            raise ValueError(f"reduction_factor must be at least 2, got {self.reduction_factor}")
        if not isinstance(self.cpu_max_macs, int | float) or not self.cpu_max_macs > 0:  # NaN too
            raise ValueError(f"cpu_max_macs must be a positive number (inf: no limit), got {self.cpu_max_macs!r}")
        for key in ("trials", "epochs", "patience", "eval_every", "horizon", "folds"):
            if getattr(self, key) < 1:
                raise ValueError(f"{key} must be at least 1, got {getattr(self, key)}")


def _path(family: str) -> Path | None:
    return next((folder / f"{family}.toml" for folder in PATHS if (folder / f"{family}.toml").is_file()), None)


def families() -> list[str]:
    """Families with a declared study."""
    return sorted({p.stem for folder in PATHS for p in Path(folder).glob("*.toml")})


def load_study_spec(family: str, **overrides) -> StudySpec:
    """The family's declaration with ``overrides`` (``None`` values are ignored) applied."""
    path = _path(family)
    if path is None:
        raise StudyError(f"no study declared for family {family!r}; declared: {', '.join(families())}")
    known = {f.name for f in fields(StudySpec)}
    try:
        with open(path, "rb") as fh:
            declared = tomllib.load(fh)
        unknown = sorted(set(declared) - known)
        if unknown:
            raise ValueError(f"unknown key(s) {', '.join(unknown)}")
        if declared.get("family", family) != family:
            raise ValueError(f"declares family {declared['family']!r}, not {family!r}")
        spec = StudySpec(**{"family": family, **declared})
        return replace(spec, **{k: v for k, v in overrides.items() if v is not None and k in known})
    except (tomllib.TOMLDecodeError, TypeError, ValueError) as err:
        raise StudyError(f"{path}: {err}") from None
