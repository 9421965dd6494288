"""A study and the facts needed to reproduce it, kept as Optuna study user attributes.

``run`` creates or resumes a study; ``retrain``, ``report`` and ``forecast`` rebuild the same data
and split from the stored attributes alone (the dataset's sha256 is checked).
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass, fields, replace

import optuna

import spaces
from data import FinalData, load, make_plan
from search.engine.samplers import make_pruner, make_sampler
from search.engine.storage import check_study_name, open_storage
from search.errors import StudyStateError
from studies import StudySpec

METRIC = "val_rel_mae"  # the objective: validation MAE relative to naive, pooled over the folds' days


@dataclass(frozen=True)
class DataSpec:
    """Which data a study uses and how it is split; stored in the study, so it can be rebuilt."""

    data: str = "btc"
    date_col: str | None = None
    target_col: str | None = None
    fill_gaps: bool = False
    test_size: float = 0.2
    val_size: float = 0.1
    folds: int = 1
    until: str | None = None

    @classmethod
    def from_args(cls, args, **overrides) -> DataSpec:
        known = {f.name for f in fields(cls)}
        return cls(**{**{k: v for k, v in vars(args).items() if k in known and v is not None}, **overrides})

    @classmethod
    def from_dict(cls, stored: dict) -> DataSpec:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in stored.items() if k in known})

    def final_data(self, horizon: int, *, sha256: str | None = None, refresh: bool = False) -> FinalData:
        frame = load(self.data, date_col=self.date_col, target_col=self.target_col, fill_gaps=self.fill_gaps,
                     until=self.until, refresh=refresh)
        if sha256 and frame.attrs["sha256"] != sha256:
            raise StudyStateError(f"{self.data}: the data changed since the study was created (sha256 differs); "
                                  "start a new study with --study NAME, or point --data at the old file")
        plan = make_plan(frame, window=7, horizon=horizon, test_size=self.test_size, val_size=self.val_size,
                         folds=self.folds)
        return FinalData(frame, plan)


def pinned(data: DataSpec, final: FinalData) -> DataSpec:
    """The spec a study stores: a download (``yahoo:``) is pinned to the snapshot file it read."""
    source = final.frame.attrs["source"]
    return replace(data, data=source) if final.frame.attrs.get("origin", "").startswith("yahoo:") else data


def default_study_name(family: str, final: FinalData, horizon: int) -> str:
    return f"{family}-{final.frame.attrs['dataset']}-h{horizon}"


def open_study(name: str, storage_url: str | None, spec: StudySpec, data: DataSpec, final: FinalData,
               *, seed: int | None, heartbeat: int | None = None) -> optuna.Study:
    """Create the study, or resume it when it exists with the same family, data, split and metric."""
    check_study_name(name)
    storage = open_storage(storage_url) if heartbeat is None else open_storage(storage_url, heartbeat=heartbeat)
    attrs = {"family": spec.family, "horizon": spec.horizon, "data": asdict(pinned(data, final)),
             "sha256": final.frame.attrs["sha256"], "split": final.plan.to_dict(),
             "metric": METRIC, "dataset": final.frame.attrs["dataset"]}
    try:
        existing = optuna.load_study(study_name=name, storage=storage)
    except KeyError:
        existing = None
    if existing is not None:
        if existing.direction != optuna.study.StudyDirection.MINIMIZE:
            raise StudyStateError(f"study {name!r} exists with direction {existing.direction.name.lower()}, "
                                  "not minimize")
        old = existing.user_attrs
        for key in ("family", "horizon", "sha256", "split", "metric"):
            if old.get(key) != attrs[key]:
                hint = (f"the data changed since it was created: start a new study with --study NAME, or keep its "
                        f"snapshot with --data {old.get('data', {}).get('data')}" if key == "sha256"
                        else "choose another --study name")
                raise StudyStateError(f"study {name!r} exists with {key} {old.get(key)!r}, not {attrs[key]!r}; {hint}")
    pruner = make_pruner(spec.pruner, min_epochs=spec.eval_every, max_epochs=spec.epochs,
                         reduction_factor=spec.reduction_factor)
    # A resumed study must not replay the random draws of its first session: offset the seed.
    if seed is not None and existing is not None:
        seed += len(existing.trials)
    study = optuna.create_study(study_name=name, storage=storage, direction=spec.direction,
                                sampler=make_sampler(spec.sampler, seed), pruner=pruner, load_if_exists=True)
    if existing is None:
        for key, value in attrs.items():
            study.set_user_attr(key, value)
        with warnings.catch_warnings():  # "experimental" since Optuna 3.2: nothing a user can act on
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            study.set_metric_names([METRIC])
        preset = spaces.seed_preset(spec.family)
        names = {p.name for p in spaces.space(spec.family)}
        study.enqueue_trial({k: v for k, v in spaces.preset(preset).items() if k in names},
                            user_attrs={"preset": preset})
    return study


def load_existing(name: str, storage_url: str | None) -> optuna.Study:
    """An existing study, for read-only commands: nothing is created when it is missing."""
    check_study_name(name)
    storage = open_storage(storage_url, create=False)
    try:
        return optuna.load_study(study_name=name, storage=storage)
    except KeyError:
        known = optuna.get_all_study_names(storage)
        raise StudyStateError(f"no study {name!r} in the storage; studies: {', '.join(known) or 'none'}") from None


def completed(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    """Completed trials with a configuration, best first."""
    done = study.get_trials(deepcopy=False, states=[optuna.trial.TrialState.COMPLETE])
    return sorted((t for t in done if "config" in t.user_attrs), key=lambda t: t.value)


def require_completed(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    done = completed(study)
    if not done:
        raise StudyStateError(f"study {study.study_name!r} has no completed trial; run more trials with "
                              f"`python -m search.run --study {study.study_name}`")
    return done


COMBINE_KEYS = ("sha256", "horizon", "split")


def compatible(studies) -> None:
    """Studies forecast the same days, or an ensemble of them means nothing: one line saying why."""
    if not studies:
        raise StudyStateError("no study to combine")
    first = studies[0]
    for study in studies:
        require_completed(study)
        for key in COMBINE_KEYS:
            if study.user_attrs.get(key) != first.user_attrs.get(key):
                raise StudyStateError(f"studies {first.study_name!r} and {study.study_name!r} differ in {key} "
                                      f"({first.user_attrs.get(key)!r} vs {study.user_attrs.get(key)!r}): an "
                                      "ensemble needs one dataset, horizon and split")


def new_data_for(attrs: dict, data: str, *, fill_gaps: bool = False, refresh: bool = False):
    """Newer data to forecast from with a study's (or ensemble's) forecaster: the same columns, on a
    daily calendar. ``attrs`` holds the stored ``data`` spec (a study's user attributes)."""
    stored = DataSpec.from_dict(attrs["data"])
    frame = load(data, date_col=stored.date_col, target_col=stored.target_col, fill_gaps=fill_gaps or stored.fill_gaps,
                 refresh=refresh)
    old = load(stored.data, date_col=stored.date_col, target_col=stored.target_col, fill_gaps=stored.fill_gaps)
    if set(frame.columns) != set(old.columns):
        raise StudyStateError(f"{data}: columns {sorted(frame.columns)} differ from the study's {sorted(old.columns)}")
    if frame.index[-1] < old.index[-1]:
        raise StudyStateError(f"{data}: ends {frame.index[-1].date()}, before the study's data "
                              f"({old.index[-1].date()}); forecast from newer data, or drop --data")
    return frame


def final_data_of(study: optuna.Study) -> FinalData:
    attrs = study.user_attrs
    return DataSpec.from_dict(attrs["data"]).final_data(attrs["horizon"], sha256=attrs["sha256"])
