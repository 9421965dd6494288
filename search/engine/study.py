"""A study and the facts needed to reproduce it, kept as Optuna study user attributes.

``run`` creates or resumes a study; ``retrain``, ``report`` and ``forecast`` rebuild the same data
and split from the stored attributes alone (the dataset's sha256 is checked). A new study gets a
``uid`` (its identity, with the storage: :mod:`search.workspace`), written after every other
attribute: a process that finds a study without it waits for its creator to finish, so several
processes started together open one whole study, and only one enqueues the seed preset.
"""

from __future__ import annotations

import hashlib
import time
import uuid
import warnings

import optuna

import spaces
from data import DataSpec, FinalData, load
from search.engine.cost import STEPS_PER_EPOCH
from search.engine.storage import check_study_name, open_storage, redact
from search.errors import StudyStateError
from search.workspace import Identity
from studies import StudySpec
from studies.samplers import make_pruner, make_sampler

METRIC = "val_rel_mae"  # the objective: validation MAE relative to naive, pooled over the folds' days
SCHEMA, READY = "schema", "uid"  # the attributes written first and last
MATCH = ("family", "horizon", "sha256", "split", "metric")  # what a resumed study must share with the command
WAIT_SECONDS = 60
INTERRUPTED = "interrupted (Ctrl-C)"
SKIPPED = "skipped"  # the user attribute of a trial pruned before it trained: why (it saw no data)


def study_attrs(spec: StudySpec, data: DataSpec, final: FinalData) -> dict:
    return {"family": spec.family, "horizon": spec.horizon, "data": data.pinned(final).to_dict(),
            "sha256": final.frame.attrs["sha256"], "split": final.plan.to_dict(), "metric": METRIC,
            "dataset": final.frame.attrs["dataset"]}


def default_study_name(family: str, final: FinalData, horizon: int) -> str:
    return f"{family}-{final.frame.attrs['dataset']}-h{horizon}"


def open_study(name: str, storage_url: str, spec: StudySpec, data: DataSpec, final: FinalData,
               *, seed: int | None, heartbeat: int | None = None) -> optuna.Study:
    """Create the study, or resume it when it exists with the same family, data, split and metric."""
    check_study_name(name)
    storage = open_storage(storage_url) if heartbeat is None else open_storage(storage_url, heartbeat=heartbeat)
    pruner = make_pruner(spec.pruner, min_resource=STEPS_PER_EPOCH * spec.eval_every,
                         max_resource=STEPS_PER_EPOCH * spec.epochs, reduction_factor=spec.reduction_factor,
                         rungs=spec.rungs)
    options = {"study_name": name, "storage": storage, "sampler": make_sampler(spec.sampler, seed), "pruner": pruner}
    attrs = study_attrs(spec, data, final)
    try:
        study = optuna.create_study(direction="minimize", **options)
    except optuna.exceptions.DuplicatedStudyError:
        study = optuna.load_study(**options)
        if study.direction != optuna.study.StudyDirection.MINIMIZE:
            raise StudyStateError(f"study {name!r} exists with direction {study.direction.name.lower()}, not minimize; "
                                  "choose another --study name") from None
        _check_matches(_wait_ready(study, name), attrs, name)
        _requeue_interrupted_preset(study, spec)
        return study
    for key, value in {SCHEMA: 3, **attrs}.items():
        study.set_user_attr(key, value)
    with warnings.catch_warnings():  # "experimental" since Optuna 3.2: nothing a user can act on
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        study.set_metric_names([METRIC])
    _enqueue_preset(study, spec)
    study.set_user_attr(READY, uuid.uuid4().hex)
    return study


def _wait_ready(study: optuna.Study, name: str) -> dict:
    """The study's attributes once its creator has written them all. A study made before uids, or not
    by this tool (no schema a few seconds after it exists), is returned as it is, to be checked."""
    start = time.monotonic()
    deadline = start + WAIT_SECONDS
    while True:
        attrs = study.user_attrs
        foreign = SCHEMA not in attrs and ("family" in attrs or time.monotonic() > start + 5)
        if READY in attrs or foreign:
            return attrs
        if time.monotonic() > deadline:
            raise StudyStateError(f"study {name!r} was left half-made (no {READY!r} attribute after "
                                  f"{WAIT_SECONDS}s): its creator stopped; choose another --study name")
        time.sleep(0.2)


def _check_matches(old: dict, attrs: dict, name: str) -> None:
    for key in MATCH:
        if old.get(key) != attrs[key]:
            hint = (f"the data changed since it was created: start a new study with --study NAME, or keep its "
                    f"snapshot with --data {old.get('data', {}).get('data')}" if key == "sha256"
                    else "choose another --study name")
            raise StudyStateError(f"study {name!r} exists with {key} {old.get(key)!r}, not {attrs[key]!r}; {hint}")


def _enqueue_preset(study: optuna.Study, spec: StudySpec, *, only_seed: bool = False, **attrs) -> None:
    names = {p.name for p in spaces.space(spec.family)}
    for preset in spaces.start_presets(spec.family)[:1 if only_seed else None]:
        study.enqueue_trial({k: v for k, v in spaces.preset(preset).items() if k in names},
                            user_attrs={"preset": preset, **attrs})


def _requeue_interrupted_preset(study: optuna.Study, spec: StudySpec) -> None:
    """A seed preset whose only run was stopped by Ctrl-C runs again when the study resumes."""
    seed = spaces.seed_preset(spec.family)
    presets = [t for t in study.get_trials(deepcopy=False) if t.user_attrs.get("preset") == seed]
    if presets and all(t.state == optuna.trial.TrialState.FAIL and t.user_attrs.get("fail_reason") == INTERRUPTED
                       for t in presets):
        _enqueue_preset(study, spec, only_seed=True, requeued_from=presets[-1].number)


def load_existing(name: str, storage_url: str) -> optuna.Study:
    """An existing study, for read-only commands: nothing is created when it is missing."""
    check_study_name(name)
    storage = open_storage(storage_url, create=False)
    try:
        return optuna.load_study(study_name=name, storage=storage)
    except KeyError:
        known = optuna.get_all_study_names(storage)
        raise StudyStateError(f"no study {name!r} in {redact(storage_url)}; studies: {', '.join(known) or 'none'}") \
            from None


def identity(study: optuna.Study, storage_url: str) -> Identity:
    """The study's identity; studies made before uids get one derived from their storage and id."""
    uid = study.user_attrs.get(READY)
    if uid is None:
        uid = hashlib.sha256(f"{redact(storage_url)}|{study.study_name}|{study._study_id}".encode()).hexdigest()[:32]
    return Identity("study", study.study_name, uid, redact(storage_url))


def ensemble_identity(name: str, studies, storage_url: str) -> Identity:
    """An ensemble is its name and the studies it combines (their uids): rebuilding it from the same
    studies replaces it, while the name for other studies is refused."""
    uids = sorted(identity(s, storage_url).uid for s in studies)
    uid = hashlib.sha256("|".join(uids).encode()).hexdigest()[:32]
    return Identity("ensemble", name, uid, identity(studies[0], storage_url).storage,
                    detail="studies " + ", ".join(s.study_name for s in studies))


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


def new_data_for(stored: dict, data: str, *, fill_gaps: bool = False, refresh: bool = False):
    """Newer data to forecast from with a forecaster fitted on ``stored`` (a stored data spec): the
    same columns, on a daily calendar, ending no earlier."""
    spec = DataSpec.from_dict(stored)
    frame = load(data, date_col=spec.date_col, target_col=spec.target_col, date_format=spec.date_format,
                 fill_gaps=fill_gaps or spec.fill_gaps, refresh=refresh)
    old = spec.frame()
    if set(frame.columns) != set(old.columns):
        raise StudyStateError(f"{data}: columns {sorted(frame.columns)} differ from the study's {sorted(old.columns)}")
    if frame.index[-1] < old.index[-1]:
        raise StudyStateError(f"{data}: ends {frame.index[-1].date()}, before the study's data "
                              f"({old.index[-1].date()}); forecast from newer data, or drop --data")
    return frame


def final_data_of(study: optuna.Study) -> FinalData:
    attrs = study.user_attrs
    return DataSpec.from_dict(attrs["data"]).final_data(attrs["horizon"], sha256=attrs["sha256"])
