"""Study declarations, one TOML file per family: sampler, pruner, budget, validation folds, horizon.

Example:
    >>> from studies import load_study_spec
    >>> spec = load_study_spec("lstm", trials=10)
    >>> spec.family, spec.trials, spec.pruner
    ('lstm', 10, 'sha')
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, fields, replace
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

HERE = Path(__file__).parent
SAMPLERS = ("tpe", "random", "cmaes", "gp")
PRUNERS = ("sha", "hyperband", "median", "none")


class StudyError(ValueError):
    """A study declaration that cannot be used; the message is ``FILE: problem``."""


@dataclass(frozen=True)
class StudySpec:
    family: str
    sampler: str = "tpe"
    pruner: str = "sha"
    reduction_factor: int = 4
    direction: str = "minimize"
    trials: int = 50
    epochs: int = 200
    patience: int = 20
    eval_every: int = 5
    horizon: int = 1
    folds: int = 1

    def __post_init__(self):
        if self.sampler not in SAMPLERS:
            raise ValueError(f"unknown sampler {self.sampler!r}; choose from {', '.join(SAMPLERS)}")
        if self.pruner not in PRUNERS:
            raise ValueError(f"unknown pruner {self.pruner!r}; choose from {', '.join(PRUNERS)}")
        if self.reduction_factor < 2:
            raise ValueError(f"reduction_factor must be at least 2, got {self.reduction_factor}")
        for key in ("trials", "epochs", "patience", "eval_every", "horizon", "folds"):
            if getattr(self, key) < 1:
                raise ValueError(f"{key} must be at least 1, got {getattr(self, key)}")


def families() -> list[str]:
    return sorted(p.stem for p in HERE.glob("*.toml"))


def load_study_spec(family: str, **overrides) -> StudySpec:
    """The family's declaration with ``overrides`` (``None`` values are ignored) applied."""
    path = HERE / f"{family}.toml"
    if not path.is_file():
        raise ValueError(f"no study declared for family {family!r}; declared: {', '.join(families())}")
    known = {f.name for f in fields(StudySpec)}
    try:
        with open(path, "rb") as fh:
            declared = tomllib.load(fh)
        unknown = sorted(set(declared) - known)
        if unknown:
            raise ValueError(f"unknown key(s) {', '.join(unknown)}")
        return replace(StudySpec(**declared), **{k: v for k, v in overrides.items() if v is not None and k in known})
    except (tomllib.TOMLDecodeError, TypeError, ValueError) as err:
        raise StudyError(f"{path}: {err}") from None
