"""keras-tuner as an alternative engine over the same declared spaces.

keras-tuner's oracles (Hyperband, Bayesian, random) choose values; :class:`SpaceTuner` turns them
into a configuration with the family's own declaration (``spaces.sample_keras_tuner``), so no range
is written twice, and scores it exactly as the Optuna objective does (same trainer, same walk-forward
folds, same pooled score). Finished trials are copied into the Optuna study, so retraining, reports
and the dashboard work unchanged.

Example (a random oracle over the dense space, scored by a stand-in that prefers short windows):
    >>> import tempfile
    >>> import keras_tuner as kt
    >>> oracle = kt.oracles.RandomSearchOracle(objective=kt.Objective("score", "min"), max_trials=3, seed=0)
    >>> tuner = SpaceTuner("dense", score=lambda config, epochs: {"score": config["window"] / 100}, epochs=10,
    ...                    oracle=oracle, directory=tempfile.mkdtemp(), project_name="demo")
    >>> tuner.search(verbose=0)
    >>> len(tuner.configs), all(c["family"] == "dense" for c in tuner.configs)
    (3, True)
"""

from __future__ import annotations

import time
from collections.abc import Callable

import keras
import keras_tuner as kt
import optuna

import spaces
from data import SearchData
from search.engine.objective import TRIAL_FAILURES, Objective, OverCpuLimit
from search.engine.study import SKIPPED
from spaces.space import Choice, Float, Int
from studies import StudySpec

ORACLES = {"hyperband": "HyperbandOracle", "bayesian": "BayesianOptimizationOracle", "random": "RandomSearchOracle"}


class SpaceTuner(kt.Tuner):
    """A keras-tuner ``Tuner`` whose trial is: sample the family's space, ``score(config, epochs)``.

    ``score`` returns a dict with at least ``score``; each trial's configuration and result are
    kept in ``records``.
    """

    def __init__(self, family: str, *, score: Callable[[dict, int], dict], epochs: int,
                 limit: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.family, self.score, self.epochs, self.limit = family, score, epochs, limit
        self.records: list[tuple[dict, dict]] = []

    @property
    def configs(self) -> list[dict]:
        return [config for config, _ in self.records]

    def run_trial(self, trial, *args, **kwargs):
        if self.limit is not None and len(self.records) >= self.limit:
            raise kt.errors.FatalError("trial budget spent")
        hp = trial.hyperparameters
        config = spaces.sample_keras_tuner(self.family, hp)
        # Hyperband hands each trial its epoch budget; other oracles use the study's cap.
        epochs = int(hp.values.get("tuner/epochs", self.epochs))
        result = self.score(config, epochs)
        self.records.append((config, result))
        return {"score": float(result["score"])}

    def save_model(self, trial_id, model, step=0):  # models are saved by retrain, not per trial
        pass

    def load_model(self, trial):
        raise NotImplementedError("SpaceTuner keeps configurations, not models; retrain them")


def trainer_score(spec: StudySpec, search: SearchData, *, seed: int = 0, deadline: float | None = None):
    """Score a configuration as the Optuna objective does: same folds, trainer and pooled score."""
    objective = Objective(spec, search, seed=seed)

    def score(config: dict, epochs: int) -> dict:
        if deadline is not None and time.perf_counter() > deadline:
            raise kt.errors.FatalError("wall-clock budget spent")
        config = {**config, "epochs": spec.epochs, "patience": spec.patience}
        start = time.perf_counter()
        try:
            value, attrs, table = objective.evaluate(config, seed=seed, epochs=min(epochs, spec.epochs),
                                                     max_macs=objective.cpu_limit())
            return {"score": value, "config": config, "seconds": round(time.perf_counter() - start, 3),
                    "engine": "keras-tuner", "table": table, **attrs}
        except TRIAL_FAILURES as err:
            return {"score": 1e9, "fail_reason": str(err), "config": config}
        except OverCpuLimit as err:
            return {"score": 1e9, SKIPPED: str(err), "config": config}
        finally:
            keras.backend.clear_session()

    return score


def run_keras_tuner(spec: StudySpec, search: SearchData, *, directory: str, seconds: float | None = None,
                    max_trials: int | None = None, oracle: str = "hyperband", seed: int = 0,
                    oracle_cls=None) -> tuple[float, int, SpaceTuner]:
    """Search ``spec.family`` with keras-tuner; return (best pooled validation score, trials, tuner)."""
    cls = oracle_cls or getattr(kt.oracles, ORACLES[oracle])
    objective = kt.Objective("score", "min")
    hp = kt.HyperParameters()
    spaces.space(spec.family).declare_keras_tuner(hp)  # the oracle samples the declared space from trial 1
    if cls is kt.oracles.HyperbandOracle:
        made = cls(objective=objective, max_epochs=spec.epochs, factor=3, hyperband_iterations=100, seed=seed,
                   hyperparameters=hp)
    else:
        made = cls(objective=objective, max_trials=max_trials or spec.trials, seed=seed, hyperparameters=hp)
    deadline = time.perf_counter() + seconds if seconds else None
    tuner = SpaceTuner(spec.family, score=trainer_score(spec, search, seed=seed, deadline=deadline),
                       epochs=spec.epochs, oracle=made, directory=directory, project_name=spec.family,
                       limit=max_trials,
                       overwrite=True)
    try:
        tuner.search(verbose=0)
    except kt.errors.FatalError:
        pass  # the budget ran out between trials
    except RuntimeError as err:  # keras-tuner wraps a fatal error after reporting it
        if "budget spent" not in str(err):
            raise
    scores = [r["score"] for _, r in tuner.records if r["score"] < 1e9]
    return (min(scores) if scores else float("nan")), len(tuner.records), tuner


def distributions(family: str) -> dict[str, optuna.distributions.BaseDistribution]:
    """Optuna distributions of the declared space, for copying keras-tuner trials into a study."""
    out = {}
    for p in spaces.space(family):
        if isinstance(p, Int):
            out[p.name] = optuna.distributions.IntDistribution(p.low, p.high, log=p.log, step=1 if p.log else p.step)
        elif isinstance(p, Float):
            out[p.name] = optuna.distributions.FloatDistribution(p.low, p.high, log=p.log)
        elif isinstance(p, Choice):
            out[p.name] = optuna.distributions.CategoricalDistribution(p.values)
    return out


def copy_into_study(study: optuna.Study, tuner: SpaceTuner, store=None) -> int:
    """Add keras-tuner's finished trials to the Optuna study, with their validation forecasts in the
    artifact store as the Optuna engine's have (uploaded beside the study, their ids in the trials'
    attributes), and the engine, epoch budget and seed as user attributes."""
    from search.engine.artifacts import KEY, upload_table

    dists = distributions(tuner.family)
    for config, result in tuner.records:
        params = {k: v for k, v in config.items() if k in dists}
        attrs = {"engine": "keras-tuner", "config": result.get("config", config),
                 **{k: v for k, v in result.items() if k not in ("score", "config", "table")}}
        failed, skipped = "fail_reason" in result, SKIPPED in result
        if store is not None and not (failed or skipped):
            attrs[KEY] = upload_table(study, store, result["table"])
        state = "FAIL" if failed else "PRUNED" if skipped else "COMPLETE"
        study.add_trial(optuna.trial.create_trial(
            params=params, distributions={k: dists[k] for k in params}, user_attrs=attrs,
            value=None if failed or skipped else float(result["score"]), state=optuna.trial.TrialState[state]))
    return len(tuner.records)
