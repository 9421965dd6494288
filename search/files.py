"""Atomic writes and advisory locks: a file appears whole under its name, or the old one stays.

Every result file (JSON, CSV, HTML, ``.keras`` models) is written to a temporary name in the same
folder and renamed into place, so an interrupt (Ctrl-C, a full disk, ``kill``) never leaves a
truncated file that a later report would trust. It gets the permissions the umask gives a new
file, as a plain ``open`` would. :func:`locked` serialises the processes that share a folder.

Example:
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "a.json"
    >>> write_text(path, '{"ok": true}')
    >>> path.read_text()
    '{"ok": true}'
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path``; renamed onto ``path`` when the block ends without error."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # the suffix stays last: Keras saves only to names ending in .keras
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it private
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_with(path: Path, save: Callable[[Path], object]) -> None:
    """``save(tmp)`` writes the file's content (``model.save``, ``frame.to_csv``); then it appears."""
    with atomic_path(path) as tmp:
        save(tmp)


def write_text(path: Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_csv(path: Path, frame, *, digits: int = 6) -> None:
    """A table of forecasts (a pandas DataFrame), without its index."""
    write_with(path, lambda tmp: frame.to_csv(tmp, index=False, float_format=f"%.{digits}f"))


def write_json(path: Path, data) -> None:
    write_text(path, json.dumps(data, indent=2) + "\n")


def new_folder(parent: Path, prefix: str) -> Path:
    """A new, uniquely named folder (two processes in the same second get two)."""
    Path(parent).mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    os.chmod(folder, 0o777 & ~_umask())
    return folder


@contextlib.contextmanager
def locked(path: Path, *, shared: bool = False, waiting: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold an advisory lock on ``path`` (created if needed): exclusive, or ``shared`` with other
    readers. ``waiting()`` is called once if another process holds it first."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o666 & ~_umask())
    mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
    try:
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            if waiting is not None:
                waiting()
            fcntl.flock(fd, mode)
        yield
    finally:
        os.close(fd)  # closing releases the lock
