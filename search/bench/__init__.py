"""Measure the search machinery side by side, in one run (a benchmark, not a test).

    python -m search.bench                        # the default parts, a table
    python -m search.bench --only batched --json  # one part, one JSON object

Parts:

- ``trainer``: Keras ``fit`` with per-epoch validation (as the seed trained) vs the project's
  trainer, on configurations that learn (each family's seed preset and sampled ones), same start;
- ``batched``: G models of one configuration trained as one group vs one by one (time, and each
  member's validation MASE both ways);
- ``retrain``: the static retrain of 3 configurations x 3 seeds end to end, seeds as one group vs
  one model at a time;
- ``warm``: rolling refits from scratch vs warm-started, time and test score, beside the static fit;
- ``pruning``: the declared pruner vs none on the same trials and seeds;
- ``memory``: RSS after 10 and 200 small trials;
- ``workers``: trials/min with 1 and 2 processes on one journal study;
- ``engines``: best validation score of Optuna (its default sampler and pruner) vs keras-tuner's
  Hyperband at equal wall time, on the walk-forward objective;
- ``folds``: a study's wall time and result with 1 fold vs the declared walk-forward folds;
- ``eras``: the eras table (naive, AutoETS, today's protocol, the recommendation) on several cuts
  of the data (``--until``); long, so never part of the default run.
"""

from search.bench.cli import main

__all__ = ["main"]
