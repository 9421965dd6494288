"""The seed notebook's published test figures (../shared/seed/NOTEBOOK-FACTS.md), per preset.

They were chosen with checkpoints on the test split, so they flatter the seed; leaderboards show
them for reference, never as a target the search optimised, and only where they mean something:
the seed's own data and split (the CoinDesk file, test from 2019-11-10, one day ahead).
"""

from __future__ import annotations

PUBLISHED = {
    "naive": {"model": "naive", "mae": 567.98, "mase": 0.99957},
    "seed-dense-w7": {"model": "seed model 1: Dense(128) W=7", "mae": 568.95, "mase": 0.99949},
    "seed-dense-w30": {"model": "seed model 2: Dense(128) W=30", "mae": 608.96, "mase": 1.06447},
    "seed-dense-w30-h7": {"model": "seed model 3: Dense(128) W=30 H=7", "mae": 1237.51, "mase": 2.20207},
    "seed-conv1d": {"model": "seed model 4: Conv1D(128, 5)", "mae": 570.83, "mase": 1.00279},
    "seed-lstm": {"model": "seed model 5: LSTM(128, relu)", "mae": 596.64, "mase": 1.04814},
    "seed-multivariate": {"model": "seed model 6: Dense(128) + block reward", "mae": 567.59, "mase": 0.99709},
    "seed-nbeats": {"model": "seed model 7: N-BEATS 30 stacks", "mae": 585.50, "mase": 1.02856},
    "seed-ensemble": {"model": "seed model 8: 15-member ensemble", "mae": 567.44, "mase": 0.99684},
}
SEED_TEST_START = "2019-11-10"  # the seed's 80/20 split of the W=7 windows


def seed_split(*, sha256: str, test_start: str, horizon: int, until: str | None) -> bool:
    """Whether a study's test days are the seed's, so that its published figures compare."""
    from data import DATASETS

    return (sha256 == DATASETS["btc"].sha256 and test_start == SEED_TEST_START and horizon == 1
            and until is None)


def published_for(family: str) -> dict | None:
    """The seed's figure for the family's seed preset; None for a family the seed did not have."""
    import spaces

    return PUBLISHED.get(spaces.seed_preset(family))
