"""Where results live, and whose they are.

A :class:`Workspace` is the folder every command writes under (``runs/`` by default, ``--runs
DIR``): the default SQLite storage, the artifact store, the shared cache, and one folder of
results per study or ensemble.

Results belong to an :class:`Identity`: a study is its storage and the study in it, named by the
``uid`` kept in its user attributes; a cross-study ensemble is its name and the uids of the studies
it combines. A results folder records its owner in ``identity.json``, and every reader checks it:

- a study's results go to ``runs/<name>/``, unless another study of that name (from another
  storage) owns it first; then to ``runs/<name>~<uid>/``. Two studies of one name coexist;
- an ensemble's go to ``runs/ensembles/<name>/``: a namespace of its own, so that no study's name
  collides with it. The same name for another set of studies is refused;
- reports mirror the results folder under ``runs/reports/``.

Example:
    >>> import tempfile
    >>> ws = Workspace(Path(tempfile.mkdtemp()))
    >>> a, b = Identity("study", "x", "a" * 32, "a.db"), Identity("study", "x", "b" * 32, "b.db")
    >>> ws.claim(a).name, ws.claim(b).name, ws.find(a).name
    ('x', 'x~bbbbbbbbbbbb', 'x')
    >>> ws.report_dir(b).relative_to(ws.root).as_posix()
    'reports/x~bbbbbbbbbbbb'
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from search.errors import ResultsError, StorageError

# Folders of the workspace itself: no study may be named like one.
RESERVED = ("artifacts", "reports", "ensembles", "cache", "keras-tuner", "presets", "from-config")
OWNER = "identity.json"


@dataclass(frozen=True)
class Identity:
    kind: str  # "study" or "ensemble"
    name: str
    uid: str
    storage: str  # the storage, password masked (for messages)
    detail: str = ""  # an ensemble's studies, say (for messages)

    def to_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        return f"{self.kind} {self.name!r} of {self.storage}"


@dataclass(frozen=True)
class Workspace:
    root: Path = Path("runs")

    @property
    def artifacts(self) -> Path:
        return self.root / "artifacts"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def cache(self) -> Path:
        """What depends only on the data (the classical baselines' forecasts), shared by every study."""
        return self.root / "cache"

    @property
    def default_storage(self) -> str:
        return f"sqlite:///{self.root / 'optuna.db'}"

    def check_writable(self) -> None:
        """Refuse, in one line and before any work, a results folder that cannot be written."""
        probe = self.root / f".write-test-{os.getpid()}"
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            probe.write_text("")
            probe.unlink()
        except OSError as err:
            raise StorageError(f"{self.root}: cannot write results here ({err.strerror or err}); "
                               "fix its permissions or choose another folder with --runs DIR") from None

    def _candidates(self, ident: Identity) -> list[Path]:
        if ident.kind == "ensemble":
            return [self.root / "ensembles" / ident.name]
        return [self.root / ident.name, self.root / f"{ident.name}~{ident.uid[:12]}"]

    def find(self, ident: Identity) -> Path | None:
        """The folder holding ``ident``'s results, if any."""
        return next((f for f in self._candidates(ident) if owner_of(f) == ident.uid), None)

    def claim(self, ident: Identity) -> Path:
        """The folder for ``ident``'s results, made its own if free (atomic: one claimant wins)."""
        for folder in self._candidates(ident):
            if owner_of(folder) == ident.uid:
                return folder
            if owner_of(folder) is None and _take(folder, ident):
                return folder
        first = self._candidates(ident)[0]
        other = read_owner(first)
        detail = f", {other['detail']}" if other.get("detail") else ""
        raise ResultsError(f"{first}: holds the results of another {other.get('kind', 'study')} named "
                           f"{ident.name!r} (of {other.get('storage')}{detail}); choose another name")

    def report_dir(self, ident: Identity) -> Path:
        folder = self.find(ident) or self._candidates(ident)[0]
        return self.reports / folder.relative_to(self.root)


def read_owner(folder: Path) -> dict:
    try:
        return json.loads((Path(folder) / OWNER).read_text())
    except (OSError, ValueError):
        return {}


def owner_of(folder: Path) -> str | None:
    return read_owner(folder).get("uid")


def _take(folder: Path, ident: Identity) -> bool:
    """Write ``identity.json`` unless it exists: linked into place whole, so a reader never sees half."""
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{OWNER}.{os.getpid()}"
    tmp.write_text(json.dumps(ident.to_dict(), indent=2) + "\n")
    try:
        os.link(tmp, folder / OWNER)
    except FileExistsError:
        return owner_of(folder) == ident.uid
    finally:
        tmp.unlink(missing_ok=True)
    return True
