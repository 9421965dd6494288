"""The bench's results as a table a person reads: one formatter per part."""

from __future__ import annotations


def _trainer(results: dict) -> list[str]:
    lines = []
    lines.append(f"{'trainer':10s} {'fit trials/min':>15s} {'ours trials/min':>16s} {'ratio':>7s} "
                 f"{'fit val MASE':>13s} {'ours val MASE':>14s}")
    for fam, r in results["trainer"].items():
        lines.append(f"{fam:10s} {r['reference_trials_per_min']:15.2f} {r['trials_per_min']:16.2f} "
                     f"{r['ratio']:6.1f}x {r['reference_val_mase']:13.4f} {r['val_mase']:14.4f}")
    return lines


def _batched(results: dict) -> list[str]:
    lines = []
    for r in results["batched"]["runs"]:
        lines.append(f"batched    {r['family']:7s} G={r['group']:<3d} one by one {r['one_by_one_s']:6.2f}s, "
                     f"group {r['batched_s']:6.2f}s = {r['ratio']:.2f}x; val MASE differs by at most "
                     f"{100 * r['max_rel_diff']:.3f}%")
    rss = results["batched"]["peak_rss_mb"]
    lines.append("batched    dense peak RSS: " + ", ".join(f"G={g} {mb:.0f} MB" for g, mb in rss.items()))
    return lines


def _backends(results: dict) -> list[str]:
    """Per-model seconds of each group size on each backend, and the gain over G = 1."""
    lines = []
    for name, b in results["backends"].items():
        per_model = {(r["family"], r["group"]): r["batched_s"] / r["group"] for r in b["runs"]}
        for r in b["runs"]:
            alone = per_model.get((r["family"], 1), r["one_by_one_s"] / r["group"])
            lines.append(f"backends   {name:10s} {r['family']:7s} G={r['group']:<4d} {per_model[(r['family'], r['group'])]:7.3f}"
                         f" s/model ({alone / per_model[(r['family'], r['group'])]:.2f}x G=1); one by one "
                         f"{r['one_by_one_s'] / r['group']:.3f} s/model; val MASE differs by at most "
                         f"{100 * r['max_rel_diff']:.3f}%")
    return lines


def _groups(results: dict) -> list[str]:
    """Per-model seconds of each group size, first (compiling) and again, and the gain over G = 1."""
    out = results["groups"]
    lines = [f"groups     on {out['backend']} ({out['gpus']} GPU), {out['epochs']} epochs at most"]
    alone = {(r["family"], key): r[key] for r in out["runs"] if r["group"] == 1 for key in ("first_s", "again_s")}
    for r in out["runs"]:
        gains = [f"{key[:-2]} {r[key] / r['group']:.4f} s/model"
                 + (f" ({alone[(r['family'], key)] / (r[key] / r['group']):.1f}x G=1)"
                    if (r["family"], key) in alone else "") for key in ("first_s", "again_s")]
        peak = f"; device peak {r['device_peak_mb']:.0f} MB" if r["device_peak_mb"] else ""
        lines.append(f"groups     {r['family']:7s} G={r['group']:<4d} " + ", ".join(gains)
                     + f"; median val MASE {r['val_mase_median']:.4f}{peak}")
    return lines


def _retrain(results: dict) -> list[str]:
    lines = []
    for r in results["retrain"]["runs"]:
        lines.append(f"retrain    {r['family']:7s} {results['retrain']['configs']} configurations x "
                     f"{results['retrain']['seeds']} seeds: one by one {r['one_by_one_s']:.1f}s, seeds as a group "
                     f"{r['batched_s']:.1f}s = {r['ratio']:.2f}x")
    return lines


def _warm(results: dict) -> list[str]:
    lines = []
    w = results["warm"]
    for r in w["runs"]:
        lines.append(f"warm       {r['family']:7s} config {r['config']}: static {r['static_s']:.1f}s rel. MAE "
                     f"{r['static_rel_mae']:.4f}; refit every {w['refit_every']} days from scratch "
                     f"{r['scratch_s']:.1f}s {r['scratch_rel_mae']:.4f}; warm {r['warm_s']:.1f}s "
                     f"{r['warm_rel_mae']:.4f}")
    return lines


def _pruning(results: dict) -> list[str]:
    lines = []
    p = results["pruning"]
    lines.append(f"pruning    epochs {p['epochs_pruned']} ({p['pruner']}) vs {p['epochs_unpruned']} (none) = "
                 f"{p['epoch_fraction']:.0%}; mean best {p['best_pruned']:.4f} vs {p['best_unpruned']:.4f} "
                 f"over {p['seeds']} seeds of {p['trials']} trials")
    return lines


def _pruners(results: dict) -> list[str]:
    lines = []
    p = results["pruners"]
    lines.append(f"pruners    {p['trials']} trials x {p['seeds']} seeds, epoch cap {p['epoch_cap']}: " + "; ".join(
        f"{name} {p[name]['epochs']} epochs, mean best {p[name]['mean_best']:.4f}"
        for name in ("sha", "paired", "none") if name in p))
    return lines


def _memory(results: dict) -> list[str]:
    lines = []
    m = results["memory"]
    lines.append(f"memory     RSS {m['rss_mb_at_10']:.0f} MB at trial 10, {m['rss_mb_at_end']:.0f} MB at trial "
                 f"{m['trials']} (growth {m['growth_mb']:+.0f} MB)")
    return lines


def _workers(results: dict) -> list[str]:
    lines = []
    w = results["workers"]
    lines.append(f"workers    {w['one']:.1f} trials/min with 1, {w['two']:.1f} with 2 ({w['ratio']:.2f}x); "
                 f"with process start-up {w['one_wall']:.1f} vs {w['two_wall']:.1f} ({w['ratio_wall']:.2f}x)")
    return lines


def _concurrent(results: dict) -> list[str]:
    lines = []
    c = results["concurrent"]
    lines.append(f"concurrent {c['trials']} dense trials x {c['seeds']} seeds, processes started together: " + "; ".join(
        f"K={k} distinct {c[k]['distinct']:.0%}, mean best {c[k]['mean_best']:.4f}, {c[k]['seconds']:.0f}s"
        for k in c if k.isdigit()))
    return lines


def _engines(results: dict) -> list[str]:
    lines = []
    e = results["engines"]
    lines.append(f"engines    mean best in {e['seconds']:.0f}s x {e['seeds']} seeds: Optuna ({e['sampler']}) "
                 f"{e['optuna']:.4f} ({e['optuna_trials']} trials), keras-tuner {e['keras_tuner']:.4f} "
                 f"({e['keras_tuner_trials']} trials)")
    return lines


def _folds(results: dict) -> list[str]:
    lines = []
    f = results["folds"]
    runs = ", ".join(f"{r['folds']} fold(s) {r['seconds']:.0f}s (best {r['best']:.4f})" for r in f["runs"])
    lines.append(f"folds      {f['family']} {f['trials']} trials: {runs}; ratio {f['time_ratio']:.2f}x")
    return lines


def _stopping(results: dict) -> list[str]:
    lines = []
    s = results["stopping"]
    lines.append(f"stopping   trial time {s['trial_seconds']['stopping']:.0f}s with the rule vs "
                 f"{s['trial_seconds']['every']:.0f}s without ({s['saved']:.0%} saved); the same recommendation "
                 f"in {s['same_recommendation']} of {len(s['runs'])}")
    for r in s["runs"]:
        e, st = r["every"], r["stopping"]
        lines.append(f"           {r['family']:7s} until {r['until']}: {st['trials']} trials (stopped at "
                     f"{st['stopped']}) vs {e['trials']}; {st['recommended']} vs {e['recommended']}; test rel. MAE "
                     + ", ".join(f"{k} {st['test_rel_mae'][k]:.4f} vs {e['test_rel_mae'][k]:.4f}"
                                 for k in e["test_rel_mae"]))
    long = s["long"]
    lines.append(f"           asked for {long['asked']} dense trials: ran {long['ran']}, "
                 f"{(long['stopped'] or {}).get('reason', 'never stopped')}")
    return lines


def _answer(results: dict) -> list[str]:
    lines = []
    a = results["answer"]
    lines.append(f"answer     {a['command']}: {a['wall_s']:.0f}s; search {a['search_s']}s, then {a['after_search_s']}s "
                 f"= {a['after_over_search']:.2f}x (retrain {a['retrain_s']}s: networks {a['networks_s']}s, waited "
                 f"for classical {a['classical_wait_s']}s; forecast {a['forecast_s']}s; report {a['report_s']}s); "
                 "shares " + ", ".join(f"{k} {v:.0%}" for k, v in a["shares"].items()))
    return lines


def _truth(results: dict) -> list[str]:
    lines = []
    from search.bench.truth import markdown as truth_markdown

    lines.append(truth_markdown(results["truth"]))
    return lines


def _eras(results: dict) -> list[str]:
    lines = []
    from search.bench.eras import markdown

    lines.append(markdown(results["eras"]))
    return lines


def table(results: dict) -> str:
    parts = {"trainer": _trainer, "batched": _batched, "backends": _backends, "groups": _groups, "retrain": _retrain, "warm": _warm, "pruning": _pruning, "pruners": _pruners, "memory": _memory, "workers": _workers, "concurrent": _concurrent, "engines": _engines, "folds": _folds, "stopping": _stopping, "answer": _answer, "truth": _truth, "eras": _eras}
    return "\n".join(line for name, show in parts.items() if name in results for line in show(results))
