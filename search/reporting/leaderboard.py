"""Every report of one storage that can be written, and the leaderboard across them.

Studies come from the storage asked for, ensembles from the workspace when every study they
combine is one of that storage's; a study without results, or whose results are unreadable, is
skipped and listed with the reason.
"""

from __future__ import annotations

from pathlib import Path

import optuna

from search.engine.study import identity
from search.errors import SearchError
from search.files import write_text
from search.reporting.markdown import page, render_markdown
from search.reporting.report import write_ensemble_report, write_study_report
from search.reporting.tables import leaderboard_markdown
from search.results import read_summary
from search.workspace import OWNER, Identity, Workspace, read_owner


def _ensembles(ws: Workspace) -> list[Identity]:
    out = []
    for path in sorted((ws.root / "ensembles").glob(f"*/{OWNER}")):
        owner = read_owner(path.parent)
        if owner.get("kind") == "ensemble":
            out.append(Identity(**{k: owner.get(k, "") for k in ("kind", "name", "uid", "storage", "detail")}))
    return out


def write_all(storage, storage_url: str, ws: Workspace) -> tuple[Path, list[str]]:
    """Write what can be written; return the reports folder and what was skipped, with why."""
    summaries, skipped, uids = [], [], set()

    def add(ident: Identity, write) -> None:
        try:
            where = write()
            summary = read_summary(ws, ident)
            summaries.append({**summary, "link": (where / "report.html").relative_to(ws.reports).as_posix()})
        except SearchError as err:
            skipped.append(f"{ident.name}: {err}")

    for name in optuna.get_all_study_names(storage):
        study = optuna.load_study(study_name=name, storage=storage)
        ident = identity(study, storage_url)
        uids.add(ident.uid)
        add(ident, lambda study=study, ident=ident: write_study_report(study, ident, ws))
    for ident in _ensembles(ws):
        try:
            members = read_summary(ws, ident, verify=False).get("study_uids", [])
        except SearchError as err:
            skipped.append(f"{ident.name}: {err}")
            continue
        if members and set(members) <= uids:
            add(ident, lambda ident=ident: write_ensemble_report(ident, ws))
    text = "\n".join(["# Leaderboard across studies", "",
                      "Each study's recommended forecaster and each ensemble, chosen on validation and listed in "
                      "validation order, with its test scores (static fit) beside it.", "",
                      leaderboard_markdown(summaries)]) + "\n"
    if skipped:
        text += "\nSkipped:\n\n" + "\n".join(f"- {s}" for s in skipped) + "\n"
    write_text(ws.reports / "leaderboard.md", text)
    write_text(ws.reports / "index.html", page("BitPredict Search — leaderboard", render_markdown(text), ""))
    return ws.reports, skipped
