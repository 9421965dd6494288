"""The seed notebook's published test figures (../shared/seed/NOTEBOOK-FACTS.md), per family.

They were chosen with checkpoints on the test split, so they flatter the seed; leaderboards show
them for reference, never as a target our search optimised.
"""

SEED_FIGURES = {
    "naive": {"model": "naive", "mae": 567.98, "mase": 0.99957},
    "dense": {"model": "seed model 1: Dense(128) W=7", "mae": 568.95, "mase": 0.99949},
    "conv1d": {"model": "seed model 4: Conv1D(128, 5)", "mae": 570.83, "mase": 1.00279},
    "lstm": {"model": "seed model 5: LSTM(128, relu)", "mae": 596.64, "mase": 1.04814},
    "multivariate": {"model": "seed model 6: Dense(128) + block reward", "mae": 567.59, "mase": 0.99709},
    "nbeats": {"model": "seed model 7: N-BEATS 30 stacks", "mae": 585.50, "mase": 1.02856},
    "ensemble": {"model": "seed model 8: 15-member ensemble", "mae": 567.44, "mase": 0.99684},
}
