"""Nothing already earned is lost: atomic saves, verified reads, refused no-ops, broken storages,
and every tool agreeing on what a study without results means."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import optuna
import pytest

from search.errors import ResultsError
from search.files import write_text, write_with
from tests.conftest import copy_of, require, summary_of


def cli(command: str, *argv, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", f"search.{command}", *argv], cwd=cwd, capture_output=True,
                          text=True, timeout=600)


def one_line(proc) -> str:
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    return lines[0]


def test_an_interrupted_write_leaves_the_old_file_and_no_debris(tmp_path):
    path = tmp_path / "retrain.json"
    write_text(path, "old, complete")

    def interrupted(tmp):
        tmp.write_text("new, but cut sh")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_with(path, interrupted)
    assert path.read_text() == "old, complete"
    assert [p.name for p in tmp_path.iterdir()] == ["retrain.json"]


def test_a_truncated_model_is_named_and_never_trusted(retrained, tmp_path):
    work = copy_of(retrained, tmp_path)
    summary = summary_of(work, "tiny")
    model = work / "runs" / "tiny" / summary["retrained"][0]["seeds"][0]["model"]
    model.write_bytes(model.read_bytes()[: model.stat().st_size // 2])  # what a killed save leaves
    with pytest.raises(ResultsError, match=f"{model.name}: not a complete model file"):
        summary_of(work, "tiny")
    line = one_line(cli("report", "--study", "tiny", cwd=work))
    assert model.name in line and "not a complete model file" in line
    assert not (work / "runs" / "reports").exists()  # no report built on it


def test_ctrl_c_during_retrain_keeps_the_earlier_results(retrained, tmp_path):
    work = copy_of(retrained, tmp_path)
    before = (work / "runs" / "tiny" / "retrain.json").read_text()
    # Every configuration, 5 seeds, 30 daily refits: grouped refits made 3 seeds and the budget's
    # choice quick enough to end before a Ctrl-C 4 s in (once in CI).
    proc = subprocess.Popen([sys.executable, "-m", "search.retrain", "--study", "tiny", "--seeds", "5",
                             "--refit-every", "1", "--budget", "inf"], cwd=work, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert proc.stdout.readline().startswith("retraining tiny")  # printed as the retrain begins
    started = time.perf_counter()
    time.sleep(1.5)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, f"exit {proc.returncode} {time.perf_counter() - started:.1f}s after it began: {err}"
    assert "earlier results of tiny are kept" in out and "python -m search.retrain --study tiny" in out
    assert "Traceback" not in err
    assert (work / "runs" / "tiny" / "retrain.json").read_text() == before
    summary_of(work, "tiny")  # every file the old summary names is still whole
    assert cli("report", "--study", "tiny", cwd=work).returncode == 0


SWALLOWED = """
import os, signal
from search.engine import interrupts

interrupts.install()


class Finalised:
    def __del__(self):  # as TensorFlow's compiled functions are freed, mid-job
        os.kill(os.getpid(), signal.SIGINT)


Finalised()
print("Python went on")
try:
    interrupts.check()
except KeyboardInterrupt:
    print("stopped at the check")
"""


def test_a_ctrl_c_swallowed_by_a_finaliser_still_stops_the_job(tmp_path):
    # The race behind a retrain that ran to its end after Ctrl-C, made deterministic.
    proc = subprocess.run([sys.executable, "-c", SWALLOWED], capture_output=True, text=True, timeout=60,
                          cwd=os.getcwd(), preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert proc.stdout.splitlines() == ["Python went on", "stopped at the check"], proc.stderr
    assert proc.stderr == ""  # no "Exception ignored in ..." note


def test_retrain_refuses_no_ops_before_touching_results(retrained, tmp_path):
    work = copy_of(retrained, tmp_path)
    before = (work / "runs" / "tiny" / "retrain.json").read_text()
    for flag in ("--top", "--seeds"):
        assert "must be at least 1" in one_line(cli("retrain", "--study", "tiny", flag, "0", cwd=work))
    assert (work / "runs" / "tiny" / "retrain.json").read_text() == before


def test_every_tool_refuses_a_study_without_completed_trials(tmp_path):
    storage = f"sqlite:///{tmp_path / 'runs' / 'optuna.db'}"
    (tmp_path / "runs").mkdir()
    optuna.create_study(study_name="empty", storage=storage)
    for command, argv in (("retrain", ["--study", "empty"]), ("report", ["--study", "empty"]),
                          ("forecast", ["--study", "empty"])):
        line = one_line(cli(command, *argv, cwd=tmp_path))
        assert "empty" in line and ("no completed trial" in line or "no retrained results" in line), line
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["optuna.db"]


def test_report_all_reports_what_it_can_and_lists_the_rest(retrained, tmp_path):
    work = copy_of(retrained, tmp_path)
    optuna.create_study(study_name="unfinished", storage=f"sqlite:///{work / 'runs' / 'optuna.db'}")
    proc = cli("report", "--all", cwd=work)
    assert proc.returncode == 0, proc.stderr
    assert "skipped unfinished:" in proc.stdout and "no retrained results" in proc.stdout
    board = (work / "runs" / "reports" / "leaderboard.md").read_text()
    assert "- unfinished:" in board
    summary = summary_of(work, "tiny")
    row = next(line for line in board.splitlines() if "[tiny](tiny/report.html)" in line)
    rec = next(r for r in summary["protocols"][0]["rows"] if r["name"] == summary["recommendation"]["name"])
    assert f"| {summary['recommendation']['name']} " in row and f"| {rec['rel_mae']:.4f} " in row
    assert summary["verdict"] in (work / "runs" / "reports" / "tiny" / "report.md").read_text()


def test_report_all_lists_an_unreadable_summary_instead_of_crashing(retrained, tmp_path):
    work = copy_of(retrained, tmp_path)
    (work / "runs" / "tiny" / "retrain.json").write_text("{ not json")
    proc = cli("report", "--all", cwd=work)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    assert "skipped tiny:" in proc.stdout and "unreadable" in proc.stdout


def test_a_storage_folder_that_cannot_be_made_is_one_line(btc_short, tmp_path):
    (tmp_path / "afile").write_text("")
    for storage in (f"sqlite:///{tmp_path / 'afile' / 'x.db'}", str(tmp_path / "afile" / "x.log"),
                    "sqlite:////proc/nope/x.db"):
        line = one_line(cli("run", "--family", "dense", "--data", str(btc_short), "--storage", storage, cwd=tmp_path))
        assert "cannot create its folder" in line, line


def test_a_read_only_database_says_so(btc_short, tmp_path):
    db = tmp_path / "ro.db"
    optuna.create_study(study_name="ro", storage=f"sqlite:///{db}")
    db.chmod(0o444)
    # Root writes through permission bits; an immutable file stops root too.
    immutable = os.getuid() == 0 and subprocess.run(["chattr", "+i", str(db)], capture_output=True).returncode == 0
    require(os.getuid() != 0 or immutable, "chattr +i (as root, no file is read-only otherwise)")
    try:
        proc = cli("run", "--family", "dense", "--data", str(btc_short), "--study", "ro", "--storage",
                   f"sqlite:///{db}", "--trials", "1", "--epochs", "2", "--no-retrain", cwd=tmp_path)
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(db)], check=True)
    line = one_line(proc)
    assert "readonly" in line and str(db) in line, line


def test_summary_names_only_files_that_exist(retrained):
    summary = json.loads((retrained / "runs" / "tiny" / "retrain.json").read_text())
    folders = {p["table"].split("/")[0] for p in summary["protocols"]}
    assert len(folders) == 1  # one retrain's files live together, swapped in by retrain.json
    visible = sorted(p.name for p in (retrained / "runs" / "tiny").iterdir() if not p.name.startswith("."))
    assert visible == ["identity.json", folders.pop(), "retrain.json"]


def test_a_lost_artifact_is_recomputed_with_a_note_and_scored_as_recomputed(retrained, tmp_path):
    import shutil

    work = copy_of(retrained, tmp_path)
    shutil.rmtree(work / "runs" / "artifacts")  # another machine's store, say
    proc = cli("retrain", "--study", "tiny", "--seeds", "1", "--top", "1", "--refit-every", "0", cwd=work)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    notes = [line for line in proc.stdout.splitlines() if "not in the artifact store" in line]
    assert notes and notes[0].startswith("note: tiny trial ")
    recomputed = float(notes[0].split("validation rel. MAE ")[1].split()[0])
    summary = summary_of(work, "tiny")
    config = next(c for c in summary["validation"]["candidates"] if c["kind"] == "config")
    assert config["val_rel_mae"] == pytest.approx(recomputed, abs=1e-4)  # scored on what was recomputed


def test_a_configuration_that_diverges_in_retraining_is_left_out_with_a_note(retrained, tmp_path, monkeypatch,
                                                                              capsys):
    from search import retrain
    from search.engine.trainer import TrainingDiverged
    from search.evaluation import scoring

    work = copy_of(retrained, tmp_path)
    monkeypatch.chdir(work)
    real = scoring.forecast_config

    def diverging(config, final, protocol, **kwargs):
        if kwargs["label"].startswith("rank2"):
            raise TrainingDiverged("every seed diverged (training loss became nan at epoch 1)")
        return real(config, final, protocol, **kwargs)

    monkeypatch.setattr(scoring, "forecast_config", diverging)
    assert retrain.main(["--study", "tiny", "--seeds", "1", "--top", "2", "--refit-every", "0"]) == 0
    out = capsys.readouterr().out
    assert "left out of the static fit table: every seed diverged" in out
    summary = summary_of(work, "tiny")
    assert len(summary["retrained"]) == 1 and "spearman" not in summary["reliability"]


def test_the_retrain_budget_leaves_out_what_it_cannot_afford_and_says_so(retrained, tmp_path, capsys):
    from search import retrain
    from tests.conftest import inside

    work = copy_of(retrained, tmp_path)
    common = ["--study", "tiny", "--top", "2", "--seeds", "1", "--refit-every", "0"]
    with inside(work):
        assert retrain.main([*common, "--budget", "inf"]) == 0
        every = summary_of(work, "tiny")
        assert retrain.main([*common, "--budget", "0"]) == 0
    out = capsys.readouterr().out
    alone = summary_of(work, "tiny")
    assert len(every["retrained"]) == 2 and every["budget"]["left_out"] == [] and every["budget"]["budget"] is None
    assert [r["trial"] for r in alone["retrained"]] == [every["retrained"][0]["trial"]]  # the best always trains
    (left,) = alone["budget"]["left_out"]
    assert left["trial"] == every["retrained"][1]["trial"] and left["cost"] > 0
    assert "Not retrained, to keep the retrain's training cost within 0.0x the search's" in out
    assert f"trial {left['trial']} (" in out


def test_a_ctrl_c_swallowed_after_training_publishes_nothing(tmp_path, monkeypatch):
    from search import results
    from search.engine import interrupts

    (tmp_path / results.SUMMARY).write_text('{"earlier": true}')
    work = tmp_path / "retrain-new"
    work.mkdir()
    monkeypatch.setattr(interrupts, "_pending", True)  # as the handler leaves it when a finaliser ate the raise
    with pytest.raises(KeyboardInterrupt):
        results.publish(tmp_path, {"study": "new"}, work)
    assert (tmp_path / results.SUMMARY).read_text() == '{"earlier": true}'
