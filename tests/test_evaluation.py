"""Evaluation: walk-forward folds, rolling origins, classical baselines on the seed's split, the
Model Confidence Set, shrinkage toward naive, conformal coverage, scalers and masked URLs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data import FinalData, Scaler, load, make_plan
from search.engine.storage import redact
from search.evaluation.baselines import classical_forecast, positions
from search.evaluation.intervals import conformal_halfwidth, coverage
from search.evaluation.mcs import confidence_set
from search.evaluation.metrics import mase
from search.evaluation.recommend import cross_fitted_shrink


@pytest.fixture(scope="module")
def seed_split(btc_path):
    frame = load(str(btc_path))
    return FinalData(frame, make_plan(frame, window=7, horizon=1))


@pytest.mark.parametrize("name, published_mase", [("AutoETS", 0.9941), ("AutoTheta", 0.9953),
                                                   ("AutoARIMA", 0.9955)])
def test_classical_baselines_reproduce_the_published_figures(seed_split, name, published_mase):
    # statsforecast, one step, fitted on every day before the test split, no refit: 556 test days.
    test = seed_split.test(window=7, horizon=1)
    frame = seed_split.frame
    prices = frame["target"].to_numpy()
    forecast = classical_forecast(name, prices, [(frame.index.get_loc(seed_split.plan.test_start),
                                                  positions(frame, test.days))], horizon=1)
    assert len(test) == 556
    assert mase(test.Y, forecast) == pytest.approx(published_mase, rel=2e-3)
    assert mase(test.Y, test.naive) == pytest.approx(0.9982, rel=2e-3)


def test_classical_forecast_uses_only_days_before_each_target(seed_split):
    # Changing every price from a target day on must not change that day's forecast.
    frame = seed_split.frame
    prices = frame["target"].to_numpy().copy()
    origin = len(prices) - 40
    targets = np.arange(origin, origin + 10)
    before = classical_forecast("AutoETS", prices, [(origin, targets)], horizon=1)
    prices[origin + 5:] *= 3
    after = classical_forecast("AutoETS", prices, [(origin, targets)], horizon=1)
    np.testing.assert_allclose(before[:5], after[:5])
    assert not np.allclose(before[6:], after[6:])


def test_walk_forward_folds_expand_and_tile_the_days_before_test(seed_split):
    frame = seed_split.frame
    final = FinalData(frame, make_plan(frame, window=7, horizon=1, val_size=100, folds=3))
    folds = final.search().folds(window=30, horizon=1)
    assert [len(f.val) for f in folds] == [100, 100, 100]
    for earlier, later in zip(folds, folds[1:], strict=False):
        assert earlier.val.days[-1] + pd.Timedelta(days=1) == later.val.days[0]  # adjacent blocks
        assert len(later.train) == len(earlier.train) + 100  # the window expands by one block
    for f in folds:
        assert f.train.days[-1] < f.val.days[0]
    assert folds[-1].val.days[-1] + pd.Timedelta(days=1) == final.plan.test_start


def test_rolling_segments_cover_the_test_days_exactly_once(seed_split):
    test = seed_split.test(window=7, horizon=1)
    segments = seed_split.segments(window=7, horizon=1, refit_every=30)
    assert len(segments) == 19  # 556 days in blocks of 30
    days = pd.DatetimeIndex(np.concatenate([s.test.days for s in segments]))
    assert days.equals(test.days)
    for s in segments:
        assert s.fit.days[-1] < s.origin <= s.test.days[0]
        assert s.test.days[-1] < s.origin + pd.Timedelta(days=30)


def test_mcs_keeps_the_equals_and_drops_the_clearly_worse():
    rng = np.random.default_rng(1)
    base = np.abs(rng.normal(size=600))
    losses = {"a": base, "a twin": base.copy(), "b": np.abs(base + rng.normal(scale=0.05, size=600)),
              "worse": np.abs(rng.normal(scale=1.6, size=600))}
    mcs = confidence_set(losses)
    assert set(mcs["members"]) == {"a", "a twin", "b"}
    assert mcs["pvalues"]["worse"] < 0.1 <= min(mcs["pvalues"][k] for k in ("a", "b"))


def test_shrinkage_is_cross_fitted_across_folds():
    rng = np.random.default_rng(2)
    ys, naives, models = [], [], []
    for _ in range(3):
        y = 100 + rng.normal(size=200).cumsum()
        naive = np.r_[y[0], y[:-1]]
        ys.append(y)
        naives.append(naive)
        models.append(naive + 0.8 * (y - naive) + rng.normal(scale=2.0, size=200))  # informative but noisy
    weight, forecasts = cross_fitted_shrink(ys, naives, models)
    # The weight is the total-absolute-error minimum, found here by brute force on a fine grid.
    grid = np.linspace(0, 1, 2001)
    errors = [sum(np.abs(y - (n + w * (m - n))).sum() for y, n, m in zip(ys, naives, models, strict=True))
              for w in grid]
    assert 0 < weight < 1 and weight == pytest.approx(grid[int(np.argmin(errors))], abs=1e-3)
    # Each fold's forecast uses the weight fitted on the other two folds, not its own.
    rest = [np.abs(ys[1] - (naives[1] + w * (models[1] - naives[1]))).sum() +
            np.abs(ys[2] - (naives[2] + w * (models[2] - naives[2]))).sum() for w in grid]
    used = np.median((forecasts[0] - naives[0]) / (models[0] - naives[0]))  # the weight fold 0 was given
    assert used == pytest.approx(grid[int(np.argmin(rest))], abs=1e-3) and abs(used - weight) > 1e-3
    assert cross_fitted_shrink(ys[:1], naives[:1], models[:1]) is None  # one fold: no honest score


@settings(max_examples=20, deadline=None)
@given(n=st.integers(20, 300), level=st.sampled_from([0.8, 0.9, 0.95]), seed=st.integers(0, 10_000))
def test_conformal_band_covers_its_level_on_exchangeable_data(n, level, seed):
    # Calibration and test errors from one distribution: over calibration draws, the band covers a
    # fresh point with probability in [level, level + 1/(n+1)] (split-conformal's guarantee).
    rng = np.random.default_rng(seed)
    covered = []
    for _ in range(300):
        q = conformal_halfwidth(np.abs(rng.standard_t(3, size=(n, 1))), level)
        fresh = np.abs(rng.standard_t(3, size=(200, 1)))
        covered.append(coverage(fresh, -q, q))
    noise = 3 * np.sqrt(level * (1 - level) / (300 * 200)) + 3 * np.std(covered) / np.sqrt(300)
    assert level - noise <= np.mean(covered) <= level + 1 / (n + 1) + noise


def test_conformal_quantile_is_the_kth_smallest():
    errors = np.array([[5.0], [1.0], [4.0], [2.0], [3.0]])
    assert conformal_halfwidth(errors, 0.5).tolist() == [3.0]  # k = ceil(6 * 0.5) = 3
    assert conformal_halfwidth(errors, 0.99).tolist() == [5.0]  # k > n: the largest


@settings(max_examples=40, deadline=None)
@given(kind=st.sampled_from(["none", "minmax", "logrel"]), seed=st.integers(0, 10_000), horizon=st.integers(1, 5))
def test_scalers_round_trip_targets(kind, seed, horizon):
    rng = np.random.default_rng(seed)
    X = np.exp(rng.normal(size=(50, 7, 2)).cumsum(axis=1)) * 100
    Y = np.exp(rng.normal(size=(50, horizon))) * X[:, -1:, 0]
    scaler = Scaler.fit(kind, X)
    np.testing.assert_allclose(scaler.inverse_y(scaler.y(Y, X), X), Y, rtol=1e-5)


@given(user=st.text(alphabet="abcdefgh", min_size=1, max_size=8),
       password=st.text(alphabet="abcdefghijkl0123456789@:/?#%!", min_size=4, max_size=16),
       host=st.sampled_from(["db.example", "127.0.0.1:5432", "[::1]:5432"]))
def test_a_masked_url_never_shows_the_password(user, password, host):
    url = f"postgresql://{user}:{password}@{host}/bitpredict"
    assert redact(url) == f"postgresql://{user}:***@{host}/bitpredict"


def test_masking_tricky_urls():
    assert redact("postgresql://u:p@ss@host/db") == "postgresql://u:***@host/db"
    assert redact("postgresql://u:pa/ss@host/db") == "postgresql://u:***@host/db"
    assert redact("postgresql://u@host/db") == "postgresql://u@host/db"
    assert redact("sqlite:///runs/optuna.db") == "sqlite:///runs/optuna.db"


def test_the_seeds_published_figures_belong_to_the_seeds_split_only():
    from data import DATASETS
    from search.evaluation.seed_figures import seed_split

    btc = DATASETS["btc"].sha256
    assert seed_split(sha256=btc, test_start="2019-11-10", horizon=1, until=None)
    assert not seed_split(sha256="0" * 64, test_start="2019-11-10", horizon=1, until=None)  # another file
    assert not seed_split(sha256=btc, test_start="2020-01-01", horizon=1, until=None)  # another test size
    assert not seed_split(sha256=btc, test_start="2019-11-10", horizon=7, until=None)
    assert not seed_split(sha256=btc, test_start="2019-11-10", horizon=1, until="2021-01-01")


def _guard_case(rng, n_days=400, n_draws=30, edge=0.0):
    """A random walk, naive, and ``n_draws`` trials: naive plus noise, and ``edge`` of tomorrow's move."""
    from search.evaluation.recommend import Evidence

    y = 100 * np.exp(np.cumsum(rng.normal(scale=0.03, size=n_days + 1)))
    actual, naive = y[1:], y[:-1]
    draws = {f"trial {i}": naive + edge * (actual - naive) + rng.normal(scale=0.05, size=n_days)
             for i in range(n_draws)}
    scores = {n: np.abs(actual - f).sum() / np.abs(actual - naive).sum() for n, f in draws.items()}
    best = min(scores, key=scores.get)
    table = pd.DataFrame({"actual": actual, "naive": naive, best: draws[best]})
    candidates = [{"name": "naive", "kind": "naive", "val_rel_mae": 1.0},
                  {"name": best, "kind": "config", "val_rel_mae": scores[best]}]
    return candidates, Evidence(table, 1, draws={n: f[:, None] for n, f in draws.items()}, n_drawn=n_draws)


def test_the_guard_sees_through_the_luck_of_many_draws():
    # Thirty trials that know nothing: the luckiest scores below naive on validation, and a lone
    # Diebold-Mariano test calls it significant most of the time. SPA over all the draws does not.
    from search.evaluation.recommend import choose

    rng = np.random.default_rng(3)
    reps = 30
    displaced = {rule: 0 for rule in ("dm", "bonferroni", "spa")}
    for _ in range(reps):
        candidates, evidence = _guard_case(rng)
        assert candidates[1]["val_rel_mae"] < 1.0  # the winner's curse: best of 30 looks better than naive
        for rule in displaced:
            displaced[rule] += choose(candidates, evidence, rule=rule)["kind"] == "config"
    assert displaced["dm"] / reps >= 0.3, displaced
    assert displaced["spa"] / reps <= 0.1 and displaced["bonferroni"] / reps <= 0.1, displaced


def test_the_guard_lets_a_real_edge_through():
    from search.evaluation.recommend import choose

    candidates, evidence = _guard_case(np.random.default_rng(4), edge=0.3)
    chosen = choose(candidates, evidence, rule="spa")
    assert chosen["kind"] == "config" and "SPA p = " in chosen["why"]
    assert choose(candidates, evidence, rule="best")["kind"] == "config"


def test_folds_and_test_stay_apart_at_horizon_seven(seed_split):
    # A window's seven targets never reach into the next block: the windows that would straddle a
    # boundary are dropped, six of them at each one.
    frame, h = seed_split.frame, 7
    final = FinalData(frame, make_plan(frame, window=7, horizon=h, val_size=100, folds=3))
    folds = final.search().folds(window=12, horizon=h)
    test = final.test(window=12, horizon=h)
    last_day = pd.Timedelta(days=h - 1)
    for k, fold in enumerate(folds):
        end = folds[k + 1].val.days[0] if k + 1 < len(folds) else final.plan.test_start
        assert len(fold.val) == 100
        assert fold.train.days[-1] + last_day < fold.val.days[0]  # training targets end before validation
        assert fold.val.days[-1] + last_day < end  # validation targets end before the next block
        assert (end - fold.val.days[-1]).days == h  # six straddling windows dropped
    assert test.days[0] == final.plan.test_start and test.days[-1] + last_day == frame.index[-1]


def test_diebold_mariano_at_horizon_two_by_hand():
    from search.evaluation.metrics import diebold_mariano

    y = np.array([[1.0, 2.0], [2.0, 3.0], [3.0, 5.0], [4.0, 4.0], [6.0, 7.0], [5.0, 5.0]])
    a = y + np.array([[1, 0], [0, 1], [1, 1], [0, 0], [2, 0], [0, 1]])  # per-window mean |error|: .5 .5 1 0 1 .5
    b = y + np.array([[1, 1], [1, 1], [2, 1], [1, 0], [2, 1], [2, 2]])  # 1 1 1.5 .5 1.5 2
    # d = a - b = (-.5, -.5, -.5, -.5, -.5, -1.5), mean -2/3; centred: 1/6 five times, then -5/6.
    # gamma0 = (5/36 + 25/36) / 6 = 0.138889; gamma1 = (4/36 - 5/36) / 6 = -0.0046296 (h = 2: lag 1);
    # DM = (-2/3) / sqrt((gamma0 + 2 gamma1) / 6) = -4.53557; HLN factor sqrt((7 - 4 + 2/6) / 6) = 0.745356;
    # statistic -3.38062, two-sided p from Student's t with 5 degrees of freedom: 0.01966.
    stat, p = diebold_mariano(y, a, b, horizon=2)
    assert stat == pytest.approx(-3.38062, abs=1e-5) and p == pytest.approx(0.01966, abs=1e-5)


def test_stress_test_and_seed_band_by_hand():
    from search.evaluation.intervals import seed_band
    from search.evaluation.stress import stress_test

    days = pd.date_range("2021-01-01", periods=3)
    actual = np.array([[100.0], [110.0], [120.0]])
    naive = np.array([[95.0], [100.0], [110.0]])
    model = np.array([[101.0], [108.0], [118.0]])
    st = stress_test(days, actual, naive, model, fit_series=[1.0, 2.0])
    assert st["turkey_price"] == 1.2 and st["last_day"] == "2021-01-03"
    assert st["model"]["normal"]["mae"] == pytest.approx((1 + 2 + 2) / 3)
    assert st["model"]["turkey"]["mae"] == pytest.approx((1 + 2 + 116.8) / 3)
    assert st["naive"]["turkey"]["mae"] == pytest.approx((5 + 10 + 108.8) / 3)
    members = np.array([[[1.0], [3.0]], [[2.0], [2.0]]])  # two windows, two members
    lo, hi = seed_band(members)
    np.testing.assert_allclose(lo.ravel(), [2 - 1.96, 2.0])
    np.testing.assert_allclose(hi.ravel(), [2 + 1.96, 2.0])


def test_online_bands_cover_their_level_on_garch_returns():
    # Heavy tails and volatility clustering: a band from calm days' scores would miss in wild ones;
    # the normalised, adaptive band covers close to its level over 1,500 days, and stays positive.
    from data import truth
    from search.evaluation.intervals import ewma_volatility, online_bands, scores

    frame = truth.generate("garch", seed=5)
    p = frame["target"].to_numpy()
    sigma = ewma_volatility(p)
    naive, actual = p[:-1, None], p[1:, None]
    cal = scores(actual[:600], naive[:600], sigma[1:601])
    for level in (0.8, 0.95):
        lo, hi, q = online_bands(cal, actual[600:2100], naive[600:2100], sigma[601:2101], level)
        covered = np.mean((actual[600:2100] >= lo) & (actual[600:2100] <= hi))
        assert abs(covered - level) < 0.015 and (lo > 0).all() and q.shape == (1,)


def test_the_oracle_matches_theory_on_a_long_series():
    # In log returns, so that the long path's price level does not weigh its days unequally.
    from data import truth

    for kind in truth.KINDS:
        frame = truth.generate(kind, seed=2, n=60_000)
        logp = np.log(frame["target"].to_numpy())
        oracle = np.log(truth.oracle(frame).median)
        rel = np.mean(np.abs(logp[1:] - oracle[1:])) / np.mean(np.abs(np.diff(logp)))
        assert rel == pytest.approx(truth.ORACLE_REL_MAE[kind], abs=0.004), kind


def test_truth_series_are_reproducible_from_their_seed():
    from data import load, truth

    a, b, c = truth.generate("nonlinear", 3), truth.generate("nonlinear", 3), truth.generate("nonlinear", 4)
    assert a.equals(b) and a.attrs["sha256"] == b.attrs["sha256"] and not a.equals(c)
    frame = load("truth:garch:7")
    assert frame.attrs["dataset"] == "truth-garch-7" and frame.attrs["sha256"] == truth.generate("garch", 7).attrs["sha256"]


def _trial(number, *, epochs, cost=1.0, state="COMPLETE", value=1.0):
    import optuna

    return optuna.trial.create_trial(
        value=value if state == "COMPLETE" else None, state=getattr(optuna.trial.TrialState, state),
        user_attrs={"config": {"window": 7}, "epochs": epochs, "best_epoch": epochs, "relative_cost": cost})


def test_the_retrain_budget_counts_cost_not_configurations(seed_split):
    import optuna

    from search.evaluation import budget
    from search.evaluation.options import TestProtocols

    final = FinalData(seed_split.frame, make_plan(seed_split.frame, window=7, horizon=1, folds=3))
    study = optuna.create_study()
    for k in range(6):
        study.add_trial(_trial(k, epochs=20, state="PRUNED"))
    pruned_only = budget.search_cost(study, final)
    study.add_trial(_trial(6, epochs=20))
    # A complete trial trains every fold, a pruned one only the last: more than 1/7 of the total.
    assert budget.search_cost(study, final) - pruned_only > pruned_only / 6
    protocols = TestProtocols(refit_every=30).protocols()
    cheap, costly = _trial(0, epochs=20), _trial(1, epochs=20, cost=50.0)
    static = budget.retrain_cost(cheap, 20, final, protocols[:1], 3, 1)
    rolling = budget.retrain_cost(cheap, 20, final, protocols, 3, 1)
    scratch = budget.retrain_cost(cheap, 20, final, TestProtocols(refit_every=30, warm=False).protocols(), 3, 1)
    # The static fit, then 19 origins on at least its days: the first in full, the others warm-started
    # at a fifth of the epochs (1 + 1 + 18 / 5 = 5.6 static fits, more for the later origins' days).
    assert static * 5.6 < rolling < static * 7 and static * 20 < scratch < static * 24
    assert budget.retrain_cost(costly, 20, final, protocols, 3, 1) > 49 * rolling
    for k in range(7, 37):  # 30 more complete trials: room for two cheap retrains, not for the costly one
        study.add_trial(_trial(k, epochs=20))
    spent = budget.search_cost(study, final)
    costs = [rolling, budget.retrain_cost(costly, 20, final, protocols, 3, 1), rolling]
    # The 50x configuration is left out, the cheap one after it still fits; the best always trains.
    assert budget.within_budget(costs, search=spent, budget=1.0) == [0, 2]
    assert budget.within_budget(costs, search=spent, budget=0.4) == [0]
    assert budget.within_budget(costs, search=spent, budget=0.0) == [0]
    assert budget.within_budget(costs, search=spent, budget=None) == [0, 1, 2]
    note = budget.note({"budget": 1.0, "search_cost": spent, "retrain_cost": rolling,
                        "left_out": [{"trial": 1, "cost": costs[1]}]})
    assert "trial 1 (" in note and "within 1.0x the search's" in note
