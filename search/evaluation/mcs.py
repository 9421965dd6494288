"""Which forecasters are statistically tied with the best: the Model Confidence Set.

Hansen, Lunde and Nason's MCS (``arch.bootstrap.MCS``) on the absolute errors of every candidate
over the same days: it drops the worst model while the equal-accuracy hypothesis is rejected, and
keeps a set that contains the best forecaster with probability ``level``. A block bootstrap keeps
the days' serial dependence.

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = rng.normal(size=400)
    >>> losses = {"good": np.abs(rng.normal(scale=0.5, size=400)), "bad": np.abs(rng.normal(scale=2, size=400))}
    >>> confidence_set(losses)["members"]
    ['good']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

LEVEL = 0.9


def confidence_set(losses: dict[str, np.ndarray], *, level: float = LEVEL, reps: int = 1000,
                   seed: int = 0) -> dict:
    """``{"level", "members", "pvalues"}``: the set at ``level`` and each model's MCS p-value."""
    from arch.bootstrap import MCS

    frame = pd.DataFrame({name: np.asarray(loss, dtype="float64").reshape(len(loss), -1).mean(axis=1)
                          for name, loss in losses.items()})
    # Identical forecasters (a shrinkage weight of 0 is naive itself) have loss differences of zero
    # variance, which the test cannot handle: test one of each, and let its twins share the result.
    twin_of = {}
    for name in frame.columns:
        twin_of[name] = next(k for k in frame.columns if k == name or (k in twin_of and twin_of[k] == k
                                                                         and frame[k].equals(frame[name])))
    unique = frame[[c for c in frame.columns if twin_of[c] == c]]
    if unique.shape[1] == 1:
        pvalues, included = {unique.columns[0]: 1.0}, set(unique.columns)
    else:
        mcs = MCS(unique, size=1 - level, reps=reps, block_size=max(2, int(np.sqrt(len(unique)))), seed=seed)
        mcs.compute()
        pvalues, included = mcs.pvalues["Pvalue"].to_dict(), set(mcs.included)
    return {"level": level, "members": [c for c in frame.columns if twin_of[c] in included],
            "pvalues": {c: float(pvalues[twin_of[c]]) for c in frame.columns}}
