"""The forecasters a user would pick instead of a neural network, scored on the same days.

Naive (tomorrow = today) and statsforecast's AutoETS, AutoTheta and AutoARIMA. Each is fitted at
an origin on every price before it, then forecasts each target day from the prices before that day
with its parameters fixed, exactly as a neural network fitted at the same origin forecasts from
its windows. One block per origin: the walk-forward folds on validation, the whole test split
(one static fit) or its rolling-origin segments.

Example:
    >>> import numpy as np
    >>> prices = 100 + np.cumsum(np.random.default_rng(0).normal(size=300))
    >>> blocks = [(250, np.arange(250, 300))]
    >>> classical_forecast("AutoETS", prices, blocks, horizon=1).shape
    (50, 1)
"""

from __future__ import annotations

import numpy as np

CLASSICAL = ("AutoETS", "AutoTheta", "AutoARIMA")


def fit_classical(name: str, prices: np.ndarray):
    """The named statsforecast model fitted on ``prices`` (daily: no weekly season in a 24/7 market)."""
    from statsforecast import models

    return getattr(models, name)(season_length=1).fit(prices)


def classical_forecast(name: str, prices: np.ndarray, blocks: list[tuple[int, np.ndarray]], *,
                       horizon: int) -> np.ndarray:
    """Forecasts ``(n, horizon)`` of the target days in ``blocks``, in order.

    ``blocks`` holds ``(origin, first_targets)``: positions in ``prices``; the model is fitted on
    ``prices[:origin]`` and each window's first target ``t >= origin`` is forecast from
    ``prices[:t]``."""
    out = []
    for origin, targets in blocks:
        if len(targets) == 0:
            continue
        model = fit_classical(name, prices[:origin])
        if horizon == 1:  # one pass: one-step forecasts of every day with the fitted parameters
            fitted = model.forward(prices[: targets[-1] + 1], h=1, fitted=True)["fitted"]
            out.append(np.asarray(fitted)[targets][:, None])
        else:
            out.append(np.stack([model.forward(prices[:t], h=horizon)["mean"] for t in targets]))
    return np.concatenate(out).astype("float64") if out else np.empty((0, horizon))


def classical_on_test(final, refit_every: int, horizon: int) -> dict[str, np.ndarray]:
    """Each classical model's forecasts of the test days, refitted at the protocol's origins."""
    import warnings

    frame = final.frame
    prices = frame["target"].to_numpy(dtype="float64")
    blocks = [(frame.index.get_loc(seg.origin), positions(frame, seg.test.days))
              for seg in final.segments(window=7, horizon=horizon, refit_every=refit_every)]
    out = {}
    for name in CLASSICAL:
        try:
            out[name] = classical_forecast(name, prices, blocks, horizon=horizon)
        except Exception as err:  # a classical fit that fails is reported, not fatal
            warnings.warn(f"{name} failed on the test split: {err}", stacklevel=2)
    return out


def positions(frame, days) -> np.ndarray:
    """Row positions of ``days`` (first target days of windows) in ``frame``."""
    return frame.index.get_indexer(days)


def naive_report(frame, *, window: int, horizon: int, test_size: float, val_size: float, folds: int = 1) -> dict:
    """The naive forecast's scores on the test split every model is scored on, and the split."""
    from data import FinalData, make_plan
    from data.validate import check_length
    from search.evaluation.metrics import evaluate

    check_length(frame, needed=window + horizon, why=f"window {window} + horizon {horizon}")
    plan = make_plan(frame, window=window, horizon=horizon, test_size=test_size, val_size=val_size, folds=folds)
    final = FinalData(frame, plan)
    test = final.test(window=window, horizon=horizon)
    return {
        **evaluate(test.Y, test.naive, final.fit_series()),
        "n_test": len(test), "rows": len(frame),
        "first_day": str(frame.index[0].date()), "last_day": str(frame.index[-1].date()),
        "filled_days": frame.attrs.get("filled_days", 0),
        "sizes": plan.sizes(frame, window=window, horizon=horizon), "split": plan.to_dict(),
        "window": window, "horizon": horizon, "source": frame.attrs.get("source"),
    }
