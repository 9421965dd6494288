"""The known-truth bench, tiny: short series, few trials, the real pipeline and every guard rule."""

from __future__ import annotations

import pytest


@pytest.mark.slow
def test_a_tiny_size_and_power_run(tmp_path):
    from search.bench.truth import bench_truth, markdown

    out = bench_truth(series=1, family="dense", trials=3, epochs=4, refit_every=0, seeds=1,
                      kinds=("random_walk", "nonlinear"), keep=str(tmp_path), data=None, days=600)
    walk, nonlinear = out["by_kind"]["random_walk"], out["by_kind"]["nonlinear"]
    assert walk["oracle_rel_mae"] == pytest.approx(1.0)  # naive is the random walk's oracle
    assert nonlinear["oracle_rel_mae"] < 0.97  # the prize a network could take
    # Three short trials learn nothing on a random walk: the guard keeps the plain forecasters.
    assert walk["rules"]["spa"]["network"] == 0.0 and walk["claimed"] == 0.0
    assert walk["rules"]["best"]["rel_mae"] >= walk["rules"]["spa"]["rel_mae"] - 0.05
    for kind in (walk, nonlinear):
        assert set(kind["rules"]) == {"spa", "stepm", "bonferroni", "dm", "best"}
        assert 0.6 < kind["coverage_80"] < 0.95 and 0.85 < kind["coverage_95"] <= 1.0
        assert 0.5 < kind["width_ratio_80"] < 2.0  # the bands are of the oracle's order
    table = markdown(out)
    assert "| random_walk | 1 | spa | 0% |" in table and "| nonlinear | 1 | spa |" in table
    assert (tmp_path / "random_walk-0" / "run.log").read_text().count("trial ") >= 3
