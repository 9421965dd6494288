"""Keras ``fit`` with per-epoch validation (the seed's way) vs the project's trainer.

Same configurations, same first weights: each family's seed preset plus sampled configurations
that learn (log-return scaling), so the validation columns compare models worth comparing.
"""

from __future__ import annotations

import time

from search.bench.common import progress


def configs(family: str, n: int) -> list[dict]:
    import optuna

    import spaces

    out = [spaces.preset(spaces.seed_preset(family))]
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    while len(out) < n:
        config = spaces.sample_optuna(family, study.ask())
        if config["family"] == "nbeats":
            config["stacks"] = min(config["stacks"], 6)  # keep a CPU bench to minutes
        out.append({**config, "scaler": "logrel"})
    return out


def bench_trainer(search, families, n_configs: int, epochs: int) -> dict:
    import keras
    import numpy as np

    import spaces
    from data import Scaler
    from search.engine.trainer import predict, train
    from search.evaluation.metrics import mase

    out = {}
    for family in families:
        ref_s, fast_s, ref_m, fast_m = [], [], [], []
        for config in configs(family, n_configs):
            data = search.with_features(spaces.features(config))
            fold = data.folds(window=config["window"], horizon=1)[-1]
            tw, vw = fold.train, fold.val
            scaler = Scaler.fit(config["scaler"], tw.X)
            keras.utils.set_random_seed(0)
            model = spaces.build(config, data.frame.shape[1], 1)
            train_model, loss = spaces.training_view(model, config)
            train_model.compile(optimizer=keras.optimizers.Adam(config["learning_rate"]), loss=loss)
            start = time.perf_counter()
            y_train, y_val = scaler.y(tw.Y, tw.X), scaler.y(vw.Y, vw.X)
            if train_model is not model:  # ensemble members each see the target
                y_train, y_val = (np.repeat(y[:, None], config["size"], axis=1) for y in (y_train, y_val))
            train_model.fit(scaler.x(tw.X), y_train, batch_size=config["batch_size"], epochs=epochs,
                            validation_data=(scaler.x(vw.X), y_val), verbose=0, shuffle=True)
            ref_s.append(time.perf_counter() - start)
            ref_m.append(mase(vw.Y, predict(model, scaler, vw)))
            keras.backend.clear_session()
            start = time.perf_counter()
            r = train(config, tw, vw, seed=0, epochs=epochs, eval_every=epochs)
            fast_s.append(time.perf_counter() - start)
            fast_m.append(mase(vw.Y, predict(r.model, r.scaler, vw)))
            keras.backend.clear_session()
        ref_rate, rate = 60 * len(ref_s) / sum(ref_s), 60 * len(fast_s) / sum(fast_s)
        out[family] = {"configs": len(ref_s), "epochs": epochs, "reference_trials_per_min": ref_rate,
                       "trials_per_min": rate, "ratio": rate / ref_rate,
                       "reference_val_mase": float(np.median(ref_m)), "val_mase": float(np.median(fast_m)),
                       "reference_val_mase_each": [float(m) for m in ref_m], "val_mase_each": [float(m) for m in fast_m]}
        progress(f"trainer {family}: {out[family]}")
    return out
