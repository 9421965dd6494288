"""Results belong to their study: processes started together draw distinct configurations, a
name in two storages or beside an ensemble keeps both, concurrent retrains leave a whole result,
and read-only commands create nothing in any storage."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

import optuna
import pytest

from tests.conftest import summary_of
from tests.test_distributed import PG, pg_study, pg_up, require  # noqa: F401  (pg_study: a fixture)

FAST = ["--epochs", "2", "--eval-every", "1", "--patience", "2", "--test-size", "30", "--val-size", "30",
        "--folds", "1", "--seeds", "1", "--retrain-top", "1", "--refit-every", "0"]


def together(commands: list[list[str]], cwd, timeout: int = 600) -> list[subprocess.CompletedProcess]:
    """Start every command at once; wait for all."""
    procs = [subprocess.Popen([sys.executable, "-m", *c], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for c in commands]
    out = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=timeout)
        out.append(subprocess.CompletedProcess(p.args, p.returncode, stdout, stderr))
    return out


def distinct_draws(trials) -> None:
    sampled = [t for t in trials if not t.user_attrs.get("preset")]
    keys = [json.dumps(t.params, sort_keys=True) for t in sampled]
    assert len(set(keys)) == len(keys), keys  # no configuration drawn twice
    assert sum(bool(t.user_attrs.get("preset")) for t in trials) == 1  # the seed preset enqueued once


@pytest.mark.parametrize("where", ["postgresql", "journal"])
def test_processes_started_together_draw_distinct_configurations(where, request, btc_short, tmp_path):
    name = request.getfixturevalue("pg_study") if where == "postgresql" else "together"
    storage = PG if where == "postgresql" else str(tmp_path / "s.log")
    command = ["search.run", "--family", "dense", "--trials", "4", "--data", str(btc_short), "--study", name,
               "--storage", storage, "--no-retrain", *FAST]
    for proc in together([command, command], tmp_path):
        assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    url = PG.replace("postgresql://", "postgresql+psycopg://") if where == "postgresql" else None
    from search.engine.storage import open_storage

    trials = optuna.load_study(study_name=name, storage=url or open_storage(storage)).trials
    assert len(trials) == 8
    distinct_draws(trials)


def test_one_name_in_two_storages_keeps_both(btc_short, tmp_path):
    from search import forecast, run
    from tests.conftest import inside

    with inside(tmp_path):
        for db, family in (("a.db", "dense"), ("b.db", "conv1d")):
            assert run.main(["--family", family, "--trials", "2", "--data", str(btc_short), "--study", "x",
                             "--storage", f"sqlite:///{tmp_path / db}", "--forecast-days", "2", *FAST]) == 0
        a, b = (summary_of(tmp_path, "x", f"sqlite:///{tmp_path / db}") for db in ("a.db", "b.db"))
        assert (a["family"], b["family"]) == ("dense", "conv1d") and a["identity"]["uid"] != b["identity"]["uid"]
        folders = sorted(p.name for p in (tmp_path / "runs").iterdir() if p.name.startswith("x"))
        assert folders == ["x", f"x~{b['identity']['uid'][:12]}"]
        assert "conv1d" in (tmp_path / "runs" / "reports" / folders[1] / "report.md").read_text().splitlines()[0]
        assert forecast.main(["--study", "x", "--storage", f"sqlite:///{tmp_path / 'a.db'}", "--days", "2"]) == 0
        meta = json.loads((tmp_path / "runs" / "x" / "forecast.json").read_text())
        assert meta["forecaster"] == a["recommendation"]["name"]


@pytest.mark.slow
def test_family_all_keeps_the_ensemble_study_and_the_combined_ensemble(btc_short, tmp_path):
    # Two trials: on a CPU, N-BEATS' first (the seed's 24M preset) is skipped by its study's limit.
    proc = subprocess.run([sys.executable, "-m", "search.run", "--family", "all", "--trials", "2",
                           "--data", str(btc_short), "--no-report", *FAST], cwd=tmp_path, capture_output=True,
                          text=True, timeout=1800)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr[-2000:]
    runs = tmp_path / "runs"
    assert (runs / "ensemble-btc_short-h1" / "retrain.json").is_file()  # the ensemble family's study
    combined = json.loads((runs / "ensembles" / "combined-btc_short-h1" / "retrain.json").read_text())
    assert combined["kind"] == "ensemble" and len(combined["studies"]) == 6
    report = subprocess.run([sys.executable, "-m", "search.report", "--all"], cwd=tmp_path, capture_output=True,
                            text=True, timeout=600)
    assert report.returncode == 0 and report.stderr == "", report.stderr[-2000:]
    board = (runs / "reports" / "leaderboard.md").read_text()
    assert board.count("[ensemble-btc_short-h1](") == 1 and board.count("[combined-btc_short-h1](") == 1
    assert "Skipped" not in board


def test_two_runs_with_retrain_on_one_study_leave_a_whole_result(btc_short, tmp_path):
    storage = str(tmp_path / "s.log")
    command = ["search.run", "--family", "dense", "--trials", "2", "--data", str(btc_short), "--study", "both",
               "--storage", storage, "--forecast-days", "2", *FAST]
    first, second = together([command, command], tmp_path)
    for proc in (first, second):
        assert proc.returncode == 0 and proc.stderr == "", proc.stderr[-2000:]
    assert "waiting for another retrain of both" in first.stdout + second.stdout
    for command in (["search.report", "--study", "both"], ["search.forecast", "--study", "both", "--days", "2"]):
        proc = subprocess.run([sys.executable, "-m", *command, "--storage", storage], cwd=tmp_path, capture_output=True,
                              text=True, timeout=300)
        assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    summary = summary_of(tmp_path, "both", storage)
    assert len(list((tmp_path / "runs" / "both").glob("retrain-*"))) == 1  # the last retrain's, whole
    assert summary["retrained"][0]["seeds"]


def test_report_all_creates_nothing_in_an_empty_database(tmp_path):
    require(pg_up(), "PostgreSQL on 127.0.0.1:5432")
    import psycopg

    name = f"empty_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(PG, autocommit=True)
    admin.execute(f"CREATE DATABASE {name}")
    try:
        url = PG.rsplit("/", 1)[0] + f"/{name}"
        proc = subprocess.run([sys.executable, "-m", "search.report", "--all", "--storage", url], cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "holds no study" in proc.stderr
        with psycopg.connect(url) as conn:
            tables = conn.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
            assert tables.fetchone()[0] == 0
    finally:
        admin.execute(f"DROP DATABASE {name}")
        admin.close()
    assert list(tmp_path.iterdir()) == []
