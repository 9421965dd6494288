"""Tests read the BTC file from the local cache (never the network) and run TensorFlow quietly.

The cache is ``$BITPREDICT_TEST_DATA``, else ``../shared/data`` beside the checkout, else the
project's own download cache (``make test`` fills it once, checksum-verified, on a fresh clone).
Under ``CI=true`` a missing service or browser fails the run instead of skipping its tests.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

import pytest

from search.cli import tensorflow_environment

ROOT = Path(__file__).resolve().parents[1]
FILENAME = "BTC_USD_2013-10-01_2021-05-18-CoinDesk.csv"


def _data_dir() -> Path:
    if os.environ.get("BITPREDICT_TEST_DATA"):
        return Path(os.environ["BITPREDICT_TEST_DATA"])
    shared = ROOT.parent / "shared" / "data"
    if (shared / FILENAME).is_file():
        return shared
    return Path(os.environ.get("BITPREDICT_DATA_DIR") or Path.home() / ".keras" / "datasets")


SHARED_DATA = _data_dir()
BTC_FILE = SHARED_DATA / FILENAME
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# Point the dataset cache at the local copy so `--data btc` resolves offline.
os.environ["BITPREDICT_DATA_DIR"] = str(SHARED_DATA)
tensorflow_environment()  # as the commands set it, before a test module imports Keras

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def require(available: bool, what: str):
    """Skip with a visible reason outside CI; under CI=true a missing service fails the test."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is required under CI=true")
    pytest.skip(f"{what} is not available (CI requires it)")


@pytest.fixture(scope="session")
def btc_path() -> Path:
    assert BTC_FILE.is_file(), f"test data missing: {BTC_FILE} (make test fetches it once)"
    return BTC_FILE


def cut(btc_path: Path, folder: Path, days: int, name: str) -> Path:
    lines = btc_path.read_text().splitlines()
    path = folder / name
    path.write_text("\n".join([lines[0], *lines[-days:]]) + "\n")
    return path


@pytest.fixture(scope="session")
def btc_short(tmp_path_factory, btc_path) -> Path:
    """The last 400 days of the BTC file: real prices, short enough for quick training."""
    return cut(btc_path, tmp_path_factory.mktemp("data"), 400, "btc_short.csv")


@pytest.fixture(scope="session")
def chromium() -> str:
    require(CHROMIUM is not None, "Debian's chromium (.ci/run installs it)")
    return CHROMIUM


@contextlib.contextmanager
def inside(folder: Path):
    """Run a block with ``folder`` as the working directory (runs/ is written there)."""
    old = os.getcwd()
    os.chdir(folder)
    try:
        yield folder
    finally:
        os.chdir(old)


@pytest.fixture(scope="session")
def retrained(tmp_path_factory, btc_short) -> Path:
    """A folder holding one small study (``tiny``), searched and retrained, never modified: tests
    that change it work on a copy (:func:`copy_of`)."""
    from search import run

    with inside(tmp_path_factory.mktemp("retrained")) as where:
        assert run.main(["--family", "dense", "--trials", "3", "--data", str(btc_short), "--study", "tiny",
                         "--epochs", "4", "--eval-every", "2", "--seeds", "1", "--retrain-top", "2",
                         "--test-size", "30", "--val-size", "30", "--refit-every", "0", "--no-report"]) == 0
    return where


def copy_of(folder: Path, tmp_path: Path) -> Path:
    target = tmp_path / "work"
    shutil.copytree(folder, target)
    return target


def results_of(where: Path, name: str, storage: str | None = None):
    """``(workspace, identity)`` of study ``name`` whose workspace is ``where/runs``."""
    from search.engine.study import identity, load_existing
    from search.workspace import Workspace

    url = storage or f"sqlite:///{where / 'runs' / 'optuna.db'}"
    return Workspace(where / "runs"), identity(load_existing(name, url), url)


def summary_of(where: Path, name: str, storage: str | None = None) -> dict:
    """A study's ``retrain.json``, read (and checked) the way reports read it."""
    from search.results import read_summary

    return read_summary(*results_of(where, name, storage))
