"""A study and the facts needed to reproduce it, kept as Optuna study user attributes.

``run`` creates or resumes a study; ``retrain`` and ``report`` rebuild the same data and split
from the stored attributes alone (the dataset's sha256 is checked).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import optuna

import spaces
from data import FinalData, load, make_plan
from search.cli import UsageError
from search.storage import check_study_name, make_pruner, make_sampler, open_storage
from studies import StudySpec


@dataclass(frozen=True)
class DataSpec:
    data: str = "btc"
    date_col: str | None = None
    target_col: str | None = None
    fill_gaps: bool = False
    test_size: float = 0.2
    val_size: float = 0.1

    @classmethod
    def from_args(cls, args) -> DataSpec:
        return cls(args.data, args.date_col, args.target_col, args.fill_gaps, args.test_size, args.val_size)

    def final_data(self, horizon: int, *, sha256: str | None = None) -> FinalData:
        frame = load(self.data, date_col=self.date_col, target_col=self.target_col, fill_gaps=self.fill_gaps)
        if sha256 and frame.attrs["sha256"] != sha256:
            raise UsageError(f"{self.data}: the data changed since the study was created (sha256 differs)")
        plan = make_plan(frame, window=7, horizon=horizon, test_size=self.test_size, val_size=self.val_size)
        return FinalData(frame, plan)


def default_study_name(family: str, final: FinalData, horizon: int) -> str:
    return f"{family}-{final.frame.attrs['dataset']}-h{horizon}"


def open_study(name: str, storage_url: str | None, spec: StudySpec, data: DataSpec, final: FinalData,
               *, seed: int | None, heartbeat: int | None = None) -> optuna.Study:
    """Create the study, or resume it when it exists with the same family, data and horizon."""
    check_study_name(name)
    storage = open_storage(storage_url) if heartbeat is None else open_storage(storage_url, heartbeat=heartbeat)
    attrs = {"family": spec.family, "horizon": spec.horizon, "data": asdict(data),
             "sha256": final.frame.attrs["sha256"], "split": final.plan.to_dict(),
             "metric": spec.metric, "dataset": final.frame.attrs["dataset"]}
    try:
        existing = optuna.load_study(study_name=name, storage=storage)
    except KeyError:
        existing = None
    if existing is not None:
        old = existing.user_attrs
        for key in ("family", "horizon", "sha256", "split"):
            if key in old and old[key] != attrs[key]:
                raise UsageError(f"study {name!r} exists with {key} {old[key]!r}, not {attrs[key]!r}; "
                                 "choose another --study name")
        if existing.direction != optuna.study.StudyDirection.MINIMIZE:
            raise UsageError(f"study {name!r} exists with direction {existing.direction.name.lower()}, not minimize")
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
        seed_preset = spaces.SEED_PRESET[spec.family]
        names = {p.name for p in spaces.space(spec.family)}
        params = {k: v for k, v in spaces.preset(seed_preset).items() if k in names}
        study.enqueue_trial(params, user_attrs={"preset": seed_preset})
    return study


def load_existing(name: str, storage_url: str | None) -> optuna.Study:
    check_study_name(name)
    storage = open_storage(storage_url)
    try:
        return optuna.load_study(study_name=name, storage=storage)
    except KeyError:
        known = optuna.get_all_study_names(storage)
        raise UsageError(f"no study {name!r} in the storage; studies: {', '.join(known) or 'none'}") from None


def final_data_of(study: optuna.Study) -> FinalData:
    attrs = study.user_attrs
    return DataSpec(**attrs["data"]).final_data(attrs["horizon"], sha256=attrs["sha256"])
