"""Tests read the BTC file from ../shared/data (never the network) and run TensorFlow quietly."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("BITPREDICT_TEST_DATA", ROOT.parent / "shared" / "data"))
BTC_FILE = SHARED_DATA / "BTC_USD_2013-10-01_2021-05-18-CoinDesk.csv"

# Point the dataset cache at the shared copy so `--data btc` resolves offline.
os.environ["BITPREDICT_DATA_DIR"] = str(SHARED_DATA)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")


@pytest.fixture(scope="session")
def btc_path() -> Path:
    assert BTC_FILE.is_file(), f"test data missing: {BTC_FILE}"
    return BTC_FILE


@pytest.fixture(scope="session")
def btc_short(tmp_path_factory, btc_path) -> Path:
    """The last 400 days of the BTC file: real prices, short enough for quick training."""
    lines = btc_path.read_text().splitlines()
    path = tmp_path_factory.mktemp("data") / "btc_short.csv"
    path.write_text("\n".join([lines[0], *lines[-400:]]) + "\n")
    return path
