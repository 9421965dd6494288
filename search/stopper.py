"""The stopping rule (:mod:`search.engine.stopping`) as an Optuna callback on one process's trials."""

from __future__ import annotations

import time

from search.workspace import Workspace


class Stopper:
    """The stopping rule (:mod:`search.engine.stopping`) as an Optuna callback on one process's
    trials. What it decides goes in the study's user attributes: ``progress`` (the best and its
    noise, trial by trial) and ``stopped`` (where, and why), which other workers obey too."""

    def __init__(self, study, final, horizon: int, ws: Workspace, store, earlier: int):
        import numpy as np

        from search.engine.stopping import EvidenceStop
        from search.evaluation.validation import folds_of

        folds = folds_of(final, horizon)
        self.study_started, self.earlier, self.store = time.time(), earlier, store
        actual, naive = (np.concatenate([getattr(f.val, k) for f in folds]) for k in ("Y", "naive"))
        self.rule = EvidenceStop(actual, naive, lambda: _best_plain(final, horizon, ws), horizon=horizon)
        if study.user_attrs.get("stopped"):
            print(f"note: study {study.study_name} stopped by itself at trial {study.user_attrs['stopped']['trial']} "
                  f"({study.user_attrs['stopped']['reason']}); going on: stopping needs "
                  f"{self.rule.patience} more trials without a gain", flush=True)

    def __call__(self, study, trial) -> bool:
        from search.engine.artifacts import validation_table
        from search.engine.study import SKIPPED

        other = study.user_attrs.get("stopped", {})
        if other.get("at", 0) > self.study_started:  # another worker decided
            self.rule.reason = other["reason"]
            return True
        if SKIPPED in trial.user_attrs:  # pruned before it saw the data: neither a draw nor a trial without a gain
            return False
        table = validation_table(trial, self.store) if trial.state.name == "COMPLETE" else None
        forecast = None if table is None else table["forecast"].to_numpy()
        progress = len(self.rule.history)
        stop = self.rule.update(trial.number, forecast, earlier=self.earlier)
        if len(self.rule.history) > progress:
            study.set_user_attr("progress", [*study.user_attrs.get("progress", []), list(self.rule.history[-1])])
        if stop:
            study.set_user_attr("stopped", {"trial": trial.number, "reason": self.rule.reason, "at": time.time()})
        return stop


def _best_plain(final, horizon: int, ws: Workspace):
    """The best plain forecaster on the validation days, as (name, forecast): what the guard compares with."""
    import numpy as np

    from search.evaluation.baselines import validation_baselines
    from search.evaluation.metrics import pooled_rel_mae
    from search.evaluation.validation import columns_of, folds_of

    columns = columns_of(validation_baselines(final, horizon, ws), horizon)
    actual = [f.val.Y for f in folds_of(final, horizon)]
    name = min(columns, key=lambda n: pooled_rel_mae(actual, columns["naive"], columns[n]))
    return name, np.concatenate(columns[name])
