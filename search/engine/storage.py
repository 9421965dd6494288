"""Where studies live: Optuna's storages behind one ``--storage`` option.

- default: an embedded SQLite file, ``runs/optuna.db`` (one process at a time);
- ``sqlite:///path.db``, ``postgresql://user@host/db`` (the ``postgres`` extra): RDB storages;
- a path ending in ``.log`` or ``.jsonl``: Optuna's journal file, for several processes on one
  machine without a database (SQLite locks under concurrent writers).

PostgreSQL and MySQL storages run with heartbeats: a trial whose worker died (``kill -9``, a lost
machine) stops beating, is marked FAIL by the next live worker after the grace period, and its
configuration is re-run (at most ``MAX_RETRY`` times) with the original trial's number recorded.

Read-only commands (retrain, report, forecast, dashboard) open a storage with ``create=False``:
a storage that does not exist, or a database without Optuna's tables, is an error, never an empty
database made as a side effect.

Example:
    >>> redact("postgresql://search:p@ss/w:rd@db.example:5432/bitpredict")
    'postgresql://search:***@db.example:5432/bitpredict'
"""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

import optuna

from search.errors import StorageError
from search.workspace import RESERVED

HEARTBEAT_SECONDS = 30  # a worker proves it is alive this often, and is dead after 3 missed beats
MAX_RETRY = 2
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def check_study_name(name: str) -> str:
    """Study names become folder names under ``runs/``: letters, digits, ``.``, ``_``, ``-``."""
    if not _SAFE_NAME.match(name) or ".." in name:
        raise StorageError(f"invalid study name {name!r}: use letters, digits, '.', '_' and '-' (no '..', no '/')")
    if name in RESERVED:
        raise StorageError(f"invalid study name {name!r}: runs/{name}/ holds the workspace's own files; choose "
                           "another name")
    return name


def redact(url: str) -> str:
    """The URL with its password masked, for messages.

    Everything between the user name and the *last* ``@`` is hidden: a password may hold ``@``,
    ``/`` or ``:`` unescaped, and masking too much of a host is harmless where too little is not.
    """
    scheme, sep, rest = url.partition("://")
    at = rest.rfind("@")
    if not sep or at < 0:
        return url
    user, colon, _ = rest[:at].partition(":")
    return f"{scheme}://{user}{':***' if colon else ''}@{rest[at + 1:]}"


def _driver_url(url: str) -> str:
    """``postgresql://`` means SQLAlchemy's psycopg2 driver; use psycopg 3 (the ``postgres`` extra)."""
    if url.startswith("postgresql://"):
        try:
            import psycopg2  # noqa: F401
        except ImportError:
            return "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def _make_parent(path: Path, create: bool, what: str) -> None:
    if not create:
        if not path.exists():
            raise StorageError(f"{path}: no such {what}; run `python -m search.run` first, or name it with --storage")
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise StorageError(f"{path}: cannot create its folder {path.parent} ({err.strerror or err})") from None
    if path.exists() and not os.access(path, os.W_OK):
        raise StorageError(f"{path}: attempt to write a readonly {what} (check its permissions)")


def root_cause(err: BaseException) -> str:
    """The first line of the deepest cause: SQLAlchemy wraps the driver's own message."""
    while getattr(err, "orig", None) is not None or err.__cause__ is not None:
        err = getattr(err, "orig", None) or err.__cause__
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


def check_url(url: str) -> None:
    """A storage URL that cannot work, refused before anything is created or a driver sees it."""
    if url.endswith((".log", ".jsonl")) and "://" not in url:
        return
    scheme, sep, rest = url.partition("://")
    if scheme.split("+")[0] not in ("sqlite", "postgresql", "mysql") or not sep:
        raise StorageError(f"unknown storage {redact(url)!r}: use sqlite:///FILE.db, postgresql://..., "
                           "or a FILE.log journal")
    authority = rest.split("/", 1)[0] if sep else ""
    if authority.count("@") > 1:
        raise StorageError(f"storage {redact(url)}: more than one '@' before the host; percent-encode an '@' in "
                           "the user name or password as %40")
    if scheme.split("+")[0] == "sqlite" and rest.lstrip("/") in ("", ":memory:"):
        raise StorageError(f"storage {url!r} is an in-memory database: the study would be lost when the command "
                           "ends; give a file, e.g. sqlite:///runs/optuna.db")


def _has_tables(url: str) -> bool:
    import sqlalchemy

    engine = sqlalchemy.create_engine(_driver_url(url))
    try:
        return sqlalchemy.inspect(engine).has_table("studies")
    finally:
        engine.dispose()


def open_storage(url: str, *, heartbeat: int | None = HEARTBEAT_SECONDS, create: bool = True):
    """The storage behind ``url``; database servers get heartbeats and retry of dead workers' trials."""
    check_url(url)
    if url.endswith((".log", ".jsonl")) and "://" not in url:
        from optuna.storages.journal import JournalFileBackend, JournalStorage

        _make_parent(Path(url), create, "journal file")
        try:
            return JournalStorage(JournalFileBackend(url))
        except OSError as err:
            raise StorageError(f"{url}: cannot open the journal file ({err.strerror or err})") from None
    scheme = url.split("://", 1)[0]
    if scheme == "sqlite":  # one process at a time: no worker can die unnoticed, so no heartbeats
        _make_parent(Path(url.split("sqlite:///", 1)[-1]), create, "SQLite database")
        heartbeat = None
    try:
        if not create and not _has_tables(url):
            raise StorageError(f"storage {redact(url)} holds no study (no Optuna tables); run `python -m "
                               "search.run` first, or name another with --storage")
        with warnings.catch_warnings():  # heartbeats are "experimental": nothing a user can act on
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            beat = {} if not heartbeat else {
                "heartbeat_interval": heartbeat, "grace_period": 3 * heartbeat,
                "heartbeat_stale_trial_callback": optuna.storages.RetryHeartbeatStaleTrialCallback(
                    max_retry=MAX_RETRY)}
            return optuna.storages.RDBStorage(_driver_url(url), **beat)
    except StorageError:
        raise
    except ModuleNotFoundError as err:
        raise StorageError(f"storage {redact(url)} needs a driver ({err.name}): pip install '.[postgres]'") from None
    except Exception as err:  # driver and connection errors come in many types
        raise StorageError(f"cannot open storage {redact(url)}: {redact(root_cause(err))}") from None
