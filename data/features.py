"""Extra input columns beside the price: block reward (from halving dates) and volume."""

from __future__ import annotations

import pandas as pd

# Bitcoin block reward in BTC from each halving date on (the seed's multivariate feature).
HALVINGS = (
    ("2009-01-03", 50.0),
    ("2012-11-28", 25.0),
    ("2016-07-09", 12.5),
    ("2020-05-11", 6.25),
    ("2024-04-20", 3.125),
)


def block_reward(index: pd.DatetimeIndex) -> pd.Series:
    starts = pd.DatetimeIndex([pd.Timestamp(d) for d, _ in HALVINGS])
    rewards = [r for _, r in HALVINGS]
    position = starts.searchsorted(index, side="right") - 1
    return pd.Series([rewards[max(p, 0)] for p in position], index=index, name="block_reward")


def with_features(frame: pd.DataFrame, features: tuple[str, ...] | list[str] = ()) -> pd.DataFrame:
    """Columns ``target`` then the requested features, in order; unknown or absent ones are skipped.

    Volume exists only where the file has it (Yahoo layout); asking for it elsewhere adds nothing.
    """
    out = frame[["target"]].copy()
    for name in features:
        if name == "block_reward":
            out["block_reward"] = block_reward(frame.index).to_numpy()
        elif name == "volume" and "volume" in frame.columns:
            out["volume"] = frame["volume"].to_numpy()
    out.attrs = dict(frame.attrs)
    return out
