"""The seed's turkey test: the last test price divided by 100, scored on the same test days.

The crash is a test-split day, so training data and models are unchanged; what moves is the score
of a forecast that could not have seen it coming, beside naive's.
"""

from __future__ import annotations

import numpy as np

from search.evaluation.metrics import evaluate


def stress_test(days, actual: np.ndarray, naive: np.ndarray, forecast: np.ndarray, fit_series, *,
                horizon: int = 1) -> dict:
    """``days`` are the windows' first target days; the crashed price is the last window's last step."""
    import pandas as pd

    crashed = actual.copy()
    crashed[-1, -1] /= 100

    def row(pred):
        return {"normal": evaluate(actual, pred, fit_series), "turkey": evaluate(crashed, pred, fit_series)}

    return {"last_day": str((days[-1] + pd.Timedelta(days=horizon - 1)).date()), "price": float(actual[-1, -1]),
            "turkey_price": float(crashed[-1, -1]), "model": row(forecast), "naive": row(naive)}
