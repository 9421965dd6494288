"""Several workers on one study: PostgreSQL across processes, heartbeats, journal files, bad storages.

Needs the PostgreSQL server on 127.0.0.1:5432 (trust auth, database ``test``); .ci/run checks it,
and under CI=true its absence fails these tests instead of skipping them.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import uuid

import optuna
import pytest

from search import run
from tests.conftest import require

PG = os.environ.get("BITPREDICT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
FAST = ["--epochs", "4", "--eval-every", "2", "--patience", "4", "--no-retrain", "--test-size", "30",
        "--val-size", "30", "--folds", "1"]


def pg_up() -> bool:
    try:
        import psycopg

        psycopg.connect(PG, connect_timeout=3).close()
        return True
    except Exception:
        return False


@pytest.fixture
def pg_study():
    require(pg_up(), "PostgreSQL on 127.0.0.1:5432")
    name = f"t-{uuid.uuid4().hex[:10]}"
    yield name
    with contextlib.suppress(KeyError):
        optuna.delete_study(study_name=name, storage=PG.replace("postgresql://", "postgresql+psycopg://"))


def load(name, storage=PG):
    return optuna.load_study(study_name=name, storage=storage.replace("postgresql://", "postgresql+psycopg://"))


def test_two_workers_on_postgresql_share_one_study(pg_study, btc_short, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = run.main(["--family", "dense", "--trials", "6", "--workers", "2", "--storage", PG, "--study", pg_study,
                     "--data", str(btc_short), *FAST])
    assert code == 0
    trials = load(pg_study).get_trials()
    assert sorted(t.number for t in trials) == list(range(6))  # no duplicates, no lost trials
    assert all(t.state.is_finished() for t in trials)
    pids = {t.user_attrs.get("worker_pid") for t in trials}
    assert len(pids) == 2 and os.getpid() not in pids  # two worker processes did the work
    for t in trials:
        if t.state.name == "COMPLETE":
            assert t.value is not None and {"config", "epochs", "best_epoch", "seconds"} <= t.user_attrs.keys()


@pytest.mark.slow
def test_killed_worker_trial_is_failed_and_retried(pg_study, btc_short, tmp_path):
    common = [sys.executable, "-m", "search.run", "--family", "dense", "--storage", PG, "--study", pg_study,
              "--data", str(btc_short), "--heartbeat", "1", "--no-retrain", "--test-size", "30", "--val-size", "30",
              "--folds", "1"]
    # Worker A runs the seed preset for a long time; we kill it in the middle of that trial.
    a = subprocess.Popen([*common, "--trials", "1", "--epochs", "100000", "--patience", "100000",
                          "--eval-every", "100"], cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(600):
            try:
                if any(t.state.name == "RUNNING" for t in load(pg_study).get_trials()):
                    break
            except KeyError:
                pass
            time.sleep(0.1)
        else:
            pytest.fail("worker A never started its trial: " + a.stderr.read().decode()[-500:])
        time.sleep(2)
        a.kill()  # SIGKILL: no chance to mark the trial
        killed_at = time.time()
        a.wait()
    finally:
        if a.poll() is None:
            a.kill()
    assert load(pg_study).get_trials()[0].state.name == "RUNNING"  # a zombie until someone notices
    # Worker B, started after the grace period, fails the stale trial and re-runs its configuration.
    time.sleep(3.5)
    b = subprocess.run([*common, "--trials", "2", "--epochs", "4", "--eval-every", "2"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=300)
    assert b.returncode == 0, b.stderr[-800:]
    trials = load(pg_study).get_trials()
    assert trials[0].state.name == "FAIL"
    # The stale trial was failed by B's heartbeat check, after A's death, not by A itself.
    assert trials[0].datetime_complete.timestamp() > killed_at
    retried = [t for t in trials if t.system_attrs.get("failed_trial") == 0]
    assert len(retried) == 1
    assert optuna.storages.RetryHeartbeatStaleTrialCallback.retried_trial_number(retried[0]) == 0
    assert retried[0].params == trials[0].params and retried[0].state.name == "COMPLETE"
    print(f"kill -9 to retry start: {retried[0].datetime_start.timestamp() - killed_at:.1f}s")


def test_four_journal_workers_lose_nothing(btc_short, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    journal = str(tmp_path / "studies.log")
    code = run.main(["--family", "dense", "--trials", "8", "--workers", "4", "--storage", journal, "--study", "j",
                     "--data", str(btc_short), *FAST])
    assert code == 0
    from optuna.storages.journal import JournalFileBackend, JournalStorage

    trials = optuna.load_study(study_name="j", storage=JournalStorage(JournalFileBackend(journal))).get_trials()
    assert sorted(t.number for t in trials) == list(range(8))
    assert all(t.state.is_finished() for t in trials)
    assert len({t.user_attrs.get("worker_pid") for t in trials}) == 4


def error_of(capsys, argv) -> str:
    with pytest.raises(SystemExit) as exc:
        run.main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err and "Traceback" not in err
    return err


def test_bad_postgresql_storages_are_one_line_errors(pg_study, btc_short, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    base = ["--family", "dense", "--data", str(btc_short), *FAST]
    err = error_of(capsys, [*base, "--storage", "postgresql://postgres:hunter2@127.0.0.1:1/test"])
    assert "cannot open storage postgresql://postgres:***@127.0.0.1:1/test" in err and "hunter2" not in err
    err = error_of(capsys, [*base, "--storage", "postgresql://nosuchuser:s3cret@127.0.0.1:5432/test"])
    assert 'role "nosuchuser" does not exist' in err and "s3cret" not in err


def test_bad_storages_are_one_line_errors(btc_short, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    base = ["--family", "dense", "--data", str(btc_short), *FAST]
    err = error_of(capsys, [*base, "--storage", "ftp://host/x"])
    assert "unknown storage 'ftp://host/x'" in err
    err = error_of(capsys, [*base, "--study", "a/../b"])
    assert "invalid study name 'a/../b'" in err
    sqlite = f"sqlite:///{tmp_path / 's.db'}"
    optuna.create_study(study_name="taken", storage=sqlite, direction="maximize")
    err = error_of(capsys, [*base, "--storage", sqlite, "--study", "taken"])
    assert "exists with direction maximize" in err
    run.main([*base, "--storage", sqlite, "--study", "lstm-owned", "--trials", "1"])
    err = error_of(capsys, ["--family", "conv1d", "--data", str(btc_short), *FAST, "--storage", sqlite,
                            "--study", "lstm-owned"])
    assert "exists with family 'dense', not 'conv1d'" in err
