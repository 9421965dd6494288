"""A search that stops when its answer is settled, and not before a real optimum it is closing in on."""

from __future__ import annotations

import numpy as np
import optuna
import pytest

from search.engine.stopping import EvidenceStop, noise, pooled


def walk(seed: int, days: int = 400):
    rng = np.random.default_rng(seed)
    y = 100 * np.exp(np.cumsum(rng.normal(scale=0.03, size=days + 1)))
    return rng, y[1:], y[:-1]


@pytest.mark.parametrize("seed", range(5))
def test_a_flat_landscape_stops_early(seed):
    rng, actual, naive = walk(seed)
    stop = EvidenceStop(actual, naive, ("naive", naive))
    stopped = next((i for i in range(100) if stop.update(i, naive + rng.normal(scale=0.05, size=len(naive)))), None)
    assert stopped is not None and stopped < 30, stop.guard_p()
    assert "far from the 0.05 it would need" in stop.reason


@pytest.mark.parametrize("seed", range(5))
def test_a_landscape_closing_in_on_a_late_optimum_does_not_stop_before_it(seed):
    # Trial i knows a share of tomorrow's move that grows until trial 45, then stays: the search
    # gains beyond its noise all along, and stops only once it has stopped gaining.
    rng, actual, naive = walk(seed)
    stop = EvidenceStop(actual, naive, ("naive", naive))
    edge = lambda i: 0.3 * min(i, 45) / 45  # noqa: E731
    stopped = next((i for i in range(120) if stop.update(
        i, naive + edge(i) * (actual - naive) + rng.normal(scale=0.2, size=len(naive)))), None)
    assert stopped is not None and stopped >= 45 + stop.patience - 1
    assert stop.best == pytest.approx(min(stop.history, key=lambda h: h[1])[1])
    assert "passes" in stop.reason  # an edge this size is one the guard lets through


def test_the_noise_is_the_spread_of_the_score_between_samples_of_days():
    # The independent reference: the same stationary process drawn 300 times over, each time new
    # days; the spread of the score between draws is what one draw's bootstrap should estimate.
    def draw(seed):
        rng = np.random.default_rng(seed)
        naive = np.full(800, 100.0)
        actual = naive + rng.standard_t(4, size=800)
        return actual, naive, naive + 0.2 * (actual - naive) + rng.normal(scale=0.3, size=800)

    spread = np.std([pooled(*draw(s)) for s in range(300)])
    estimates = [noise(*draw(1000 + s)) for s in range(20)]
    assert np.median(estimates) == pytest.approx(spread, rel=0.25)


def test_a_real_study_stops_with_its_line(tmp_path, btc_short, capsys, monkeypatch):
    from search import run

    monkeypatch.chdir(tmp_path)
    storage = f"sqlite:///{tmp_path / 's.db'}"
    assert run.main(["--family", "dense", "--trials", "60", "--data", str(btc_short), "--storage", storage,
                     "--study", "settle", "--epochs", "3", "--eval-every", "1", "--no-retrain", "--test-size", "30",
                     "--val-size", "30", "--sampler", "random"]) == 0
    out = capsys.readouterr().out
    study = optuna.load_study(study_name="settle", storage=storage)
    stopped = study.user_attrs["stopped"]
    before = len(study.trials)
    assert before == stopped["trial"] + 1 < 60
    assert f"stopped after trial {stopped['trial']}: best validation rel. MAE" in out and "--no-stop" in out
    assert study.user_attrs["progress"][-1][1] == pytest.approx(study.best_value, abs=1e-9)
    # Resuming says so, and goes on for at least its patience before it can stop again.
    assert run.main(["--family", "dense", "--trials", "12", "--data", str(btc_short), "--storage", storage,
                     "--study", "settle", "--epochs", "3", "--eval-every", "1", "--no-retrain", "--test-size", "30",
                     "--val-size", "30", "--sampler", "random"]) == 0
    again = capsys.readouterr().out
    assert f"stopped by itself at trial {stopped['trial']}" in again
    assert len(optuna.load_study(study_name="settle", storage=storage).trials) >= before + 10
