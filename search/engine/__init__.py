"""The engine: the one trainer, the Optuna objective over walk-forward folds, studies, storages,
samplers and pruners, and keras-tuner as a second engine over the same spaces."""
