"""A search space as data: hyperparameters declared once, sampled by Optuna or keras-tuner.

Each parameter may carry ``when=(parent, values)``: it exists only when an earlier parameter
took one of ``values``. Sampling walks the declaration in order and skips inactive ones, so a
sampled configuration holds exactly the parameters that matter to the model.

Example:
    >>> import optuna
    >>> space = Space([Int("layers", 1, 3), Int("units", 16, 512, log=True),
    ...                Choice("head", ("flatten", "pool")), Float("gap", 0.0, 1.0, when=("head", ("pool",)))])
    >>> trial = optuna.trial.FixedTrial({"layers": 2, "units": 64, "head": "flatten"})
    >>> space.sample_optuna(trial)
    {'layers': 2, 'units': 64, 'head': 'flatten'}
    >>> space.problems({"layers": 2, "units": -5, "head": "pool"})
    ['units = -5: allowed a whole number in 16 .. 512', "missing key 'gap'"]
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, replace
from typing import Any

Condition = tuple[str, tuple]


def _conditions(when) -> tuple[Condition, ...]:
    """``None``, one ``(parent, values)`` pair, or a tuple of pairs that must all hold."""
    if not when:
        return ()
    if isinstance(when[0], str):
        return ((when[0], tuple(when[1])),)
    return tuple((parent, tuple(values)) for parent, values in when)


@dataclass(frozen=True)
class Param:
    name: str
    when: tuple[Condition, ...] = ()

    def active(self, config: dict) -> bool:
        return all(config.get(parent) in values for parent, values in self.when)

    def problem(self, value) -> str | None:
        """Why ``value`` is not a point of this parameter (None when it is)."""
        raise NotImplementedError

    def renamed(self, name: str, when: tuple[Condition, ...]) -> Param:
        return replace(self, name=name, when=when)


@dataclass(frozen=True, init=False)
class Int(Param):
    low: int = 0
    high: int = 1
    log: bool = False
    step: int = 1

    def __init__(self, name, low, high, *, log=False, step=1, when=None):
        _set(self, name=name, low=low, high=high, log=log, step=step, when=_conditions(when))

    def problem(self, value) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int) or not self.low <= value <= self.high:
            return f"{self.name} = {value!r}: allowed a whole number in {self.low} .. {self.high}"
        return None


@dataclass(frozen=True, init=False)
class Float(Param):
    low: float = 0.0
    high: float = 1.0
    log: bool = False

    def __init__(self, name, low, high, *, log=False, when=None):
        _set(self, name=name, low=low, high=high, log=log, when=_conditions(when))

    def problem(self, value) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int | float) or not self.low <= value <= self.high:
            return f"{self.name} = {value!r}: allowed a number in {self.low:g} .. {self.high:g}"
        return None


@dataclass(frozen=True, init=False)
class Choice(Param):
    values: tuple = ()

    def __init__(self, name, values, *, when=None):
        _set(self, name=name, values=tuple(values), when=_conditions(when))

    def problem(self, value) -> str | None:
        # 1 == True in Python: a value must match a choice in type too
        if not any(value == v and type(value) is type(v) for v in self.values):
            return f"{self.name} = {value!r}: allowed one of {', '.join(map(repr, self.values))}"
        return None


def _set(obj, **fields):
    for key, value in fields.items():
        object.__setattr__(obj, key, value)


class Space:
    """An ordered list of parameters; conditions may only refer to earlier ones."""

    def __init__(self, params: list[Param], *, partial: bool = False):
        """``partial`` allows conditions on parameters declared elsewhere (a space to be added)."""
        names = [p.name for p in params]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate parameter names in {names}")
        for i, p in enumerate(params):
            for parent, _ in p.when:
                if parent not in names[:i] and not (partial and parent not in names):
                    raise ValueError(f"{p.name!r} depends on {parent!r}, which is not declared before it")
        self.params = list(params)

    def __iter__(self):
        return iter(self.params)

    def __add__(self, other: Space) -> Space:
        return Space(self.params + other.params)

    def param(self, name: str) -> Param:
        return next(p for p in self.params if p.name == name)

    def problems(self, config: dict, *, extra: tuple[str, ...] = ()) -> list[str]:
        """Why ``config`` is not a point of this space: a missing or out-of-range active parameter, or a
        key that is neither an active parameter nor one of ``extra``. Empty when it is one."""
        out, active = [], set()
        for p in self.params:
            if not p.active(config):
                continue
            active.add(p.name)
            out.append(f"missing key {p.name!r}" if p.name not in config else p.problem(config[p.name]))
        unknown = sorted(set(config) - active - set(extra))
        out += [f"unknown key {k!r} (not a parameter of this configuration)" for k in unknown]
        return [p for p in out if p]

    def clipped(self, name: str, high: int) -> Space:
        """The same space with integer ``name``'s upper bound lowered to ``high`` (never below its low)."""
        return Space([replace(p, high=max(p.low, min(p.high, high))) if p.name == name else p
                      for p in self.params])

    def prefixed(self, prefix: str, *, when: Condition) -> Space:
        """The same parameters named ``prefix.name`` and active only ``when`` (nested bodies)."""
        def inner(p):
            return tuple((f"{prefix}.{parent}", values) for parent, values in p.when)

        return Space([p.renamed(f"{prefix}.{p.name}", (_conditions(when)[0], *inner(p))) for p in self.params],
                     partial=True)

    def _sample(self, pick) -> dict[str, Any]:
        config: dict[str, Any] = {}
        for p in self.params:
            if p.active(config):
                config[p.name] = pick(p)
        return config

    def sample_optuna(self, trial) -> dict[str, Any]:
        """Sample with an Optuna ``Trial`` (or ``FixedTrial``)."""

        def pick(p):
            if isinstance(p, Int):
                return trial.suggest_int(p.name, p.low, p.high, log=p.log, step=p.step)
            if isinstance(p, Float):
                return trial.suggest_float(p.name, p.low, p.high, log=p.log)
            return trial.suggest_categorical(p.name, p.values)

        return self._sample(pick)

    def sample_keras_tuner(self, hp) -> dict[str, Any]:
        """Sample with a keras-tuner ``HyperParameters``, declaring conditions as its scopes."""

        def pick(p):
            with contextlib.ExitStack() as scopes:
                for parent, values in p.when:
                    scopes.enter_context(hp.conditional_scope(parent, list(values)))
                return _kt(hp, p)

        return self._sample(pick)

    def declare_keras_tuner(self, hp) -> None:
        """Register every parameter (inactive branches too) so an oracle knows the whole space."""
        for p in self.params:
            with contextlib.ExitStack() as scopes:
                for parent, values in p.when:
                    scopes.enter_context(hp.conditional_scope(parent, list(values)))
                _kt(hp, p)


def _kt(hp, p: Param):
    if isinstance(p, Int):
        return hp.Int(p.name, p.low, p.high, step=p.step if not p.log else None, sampling="log" if p.log else "linear")
    if isinstance(p, Float):
        return hp.Float(p.name, p.low, p.high, sampling="log" if p.log else "linear")
    if all(isinstance(v, bool) for v in p.values):
        return hp.Boolean(p.name)
    return hp.Choice(p.name, list(p.values))
