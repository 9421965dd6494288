"""Where studies live: Optuna's storages behind one ``--storage`` option.

- default: an embedded SQLite file, ``runs/optuna.db``;
- ``sqlite:///path.db``, ``postgresql://user@host/db`` (the ``postgres`` extra): RDB storages;
- a path ending in ``.log`` or ``.jsonl``: Optuna's journal file, for several processes on one
  machine without a database (SQLite locks under concurrent writers).

RDB storages run with heartbeats: a trial whose worker died (``kill -9``, a lost machine) stops
beating, is marked FAIL by the next live worker after the grace period, and its configuration is
re-run (at most ``MAX_RETRY`` times) with the original trial's number recorded.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import optuna

from search.cli import UsageError

RUNS = Path("runs")
HEARTBEAT_SECONDS = 30  # a worker proves it is alive this often, and is dead after 3 missed beats
MAX_RETRY = 2
DEFAULT_STORAGE = f"sqlite:///{RUNS / 'optuna.db'}"
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def check_study_name(name: str) -> str:
    """Study names become folder names under ``runs/``: letters, digits, ``.``, ``_``, ``-``."""
    if not _SAFE_NAME.match(name) or ".." in name:
        raise UsageError(f"invalid study name {name!r}: use letters, digits, '.', '_' and '-' (no '..', no '/')")
    return name


def redact(url: str) -> str:
    """The URL with any password replaced, for messages."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def _driver_url(url: str) -> str:
    """``postgresql://`` means SQLAlchemy's psycopg2 driver; use psycopg 3 (the ``postgres`` extra)."""
    if url.startswith("postgresql://"):
        try:
            import psycopg2  # noqa: F401
        except ImportError:
            return "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def open_storage(url: str | None = None, *, heartbeat: int | None = HEARTBEAT_SECONDS):
    """The storage behind ``url``; RDB storages get heartbeats and retry of dead workers' trials."""
    url = url or DEFAULT_STORAGE
    if url.endswith((".log", ".jsonl")) and "://" not in url:
        from optuna.storages.journal import JournalFileBackend, JournalStorage

        Path(url).parent.mkdir(parents=True, exist_ok=True)
        return JournalStorage(JournalFileBackend(url))
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme.split("+")[0] not in ("sqlite", "postgresql", "mysql"):
        raise UsageError(f"unknown storage {redact(url)!r}: use sqlite:///FILE.db, postgresql://..., or a FILE.log journal")
    if scheme == "sqlite":
        Path(url.split("sqlite:///", 1)[-1]).parent.mkdir(parents=True, exist_ok=True)
    beat = {} if not heartbeat else {
        "heartbeat_interval": heartbeat, "grace_period": 3 * heartbeat,
        "heartbeat_stale_trial_callback": optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=MAX_RETRY)}
    try:
        return optuna.storages.RDBStorage(_driver_url(url), **beat)
    except ModuleNotFoundError as err:
        raise UsageError(f"storage {redact(url)} needs a driver ({err.name}): pip install '.[postgres]'") from None
    except Exception as err:  # driver and connection errors come in many types
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise UsageError(f"cannot open storage {redact(url)}: {redact(reason)}") from None


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
            raise UsageError("the gp sampler needs PyTorch: pip install '.[gp]'") from None
        return optuna.samplers.GPSampler(seed=seed)
    raise UsageError(f"unknown sampler {name!r}")


def make_pruner(name: str, *, min_epochs: int, max_epochs: int, reduction_factor: int = 4):
    """The pruner of weak trials; its resource is the epoch, as reported by the trainer.

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
    raise UsageError(f"unknown pruner {name!r}")
